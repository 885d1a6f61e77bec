// miniasgi interactive docs: a small, dependency-free stand-in for Swagger UI.
//
// What it does, top to bottom:
//   1. fetch the OpenAPI 3.1 document (its URL is in the <script data-openapi-url>),
//   2. draw one collapsible panel per operation, grouped by its first tag,
//      showing parameters, the request body schema and the documented responses,
//   3. "Execute" builds the request from the inputs (path, query, header, cookie,
//      JSON or form body), sends it with fetch() and shows status, headers and body,
//   4. "Authorize" keeps credentials for the document's security schemes
//      (OAuth2 password flow, HTTP bearer/basic, API keys) and adds them to the
//      requests of operations whose "security" names those schemes.
//
// All text from the document is put on the page with textContent, never innerHTML:
// a description containing "<script>" is shown, not run.
"use strict";

(function () {
  const script = document.currentScript;
  const openapiUrl = new URL(script.dataset.openapiUrl, window.location.href);
  const state = {
    spec: null, // the OpenAPI document
    credentials: {}, // scheme name -> {kind, ...}, filled by the Authorize dialog
    lockIcons: [], // [element, operation] pairs to refresh after (de)authorizing
  };

  // ---- a tiny DOM builder --------------------------------------------------------

  // element("div", {class: "x", text: "hi"}, child, ...) -> HTMLElement
  function element(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "text") node.textContent = value;
      else if (name === "class") node.className = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  // ---- JSON Schema helpers ---------------------------------------------------------

  // Follow a {"$ref": "#/components/schemas/Name"} to the schema it names.
  function resolve(schema) {
    let seen = 0;
    while (schema && schema.$ref && seen++ < 20) {
      const path = schema.$ref.replace(/^#\//, "").split("/");
      let target = state.spec;
      for (const key of path) target = target ? target[key] : undefined;
      // Keywords beside the $ref ("default", "description") describe this use of the
      // schema, so they win over the referenced schema's own.
      schema = target ? { ...target, ...schema, $ref: target.$ref } : {};
    }
    return schema || {};
  }

  function refName(schema) {
    return schema && schema.$ref ? schema.$ref.split("/").pop() : null;
  }

  // The non-null member of anyOf [X, null] (Optional[X]), or the schema itself.
  function withoutNull(schema) {
    const members = (schema.anyOf || []).filter((member) => member.type !== "null");
    return members.length === 1 ? { ...schema, ...members[0], anyOf: undefined } : schema;
  }

  // The schema a value must match once null is set aside, references followed:
  // Optional[Item] -> Item's object schema.
  function effective(schema) {
    return resolve(withoutNull(resolve(schema)));
  }

  function isFile(schema) {
    schema = effective(schema);
    return schema.format === "binary" || schema.contentMediaType === "application/octet-stream";
  }

  const STRING_EXAMPLES = {
    date: "2024-01-31", "date-time": "2024-01-31T12:00:00Z", email: "user@example.com",
    uuid: "3fa85f64-5717-4562-b3fc-2c963f66afa6",
  };

  // A plausible example value, used to pre-fill the JSON body editor.
  function exampleFor(schema, depth = 0) {
    schema = effective(schema);
    if (depth > 6) return null; // a recursive model: stop somewhere
    if (schema.examples && schema.examples.length) return schema.examples[0];
    if (schema.default !== undefined) return schema.default;
    if (schema.const !== undefined) return schema.const;
    if (schema.enum) return schema.enum[0];
    if (schema.anyOf || schema.oneOf) return exampleFor((schema.anyOf || schema.oneOf)[0], depth + 1);
    switch (schema.type) {
      case "string":
        return STRING_EXAMPLES[schema.format] || "string";
      case "integer":
      case "number": {
        // The smallest value the bounds allow, so the example passes validation.
        if (schema.minimum !== undefined) return schema.minimum;
        if (schema.exclusiveMinimum === undefined) return 0;
        const above = schema.exclusiveMinimum + 1;
        return schema.type === "integer" ? Math.floor(above) : above;
      }
      case "boolean": return true;
      case "null": return null;
      case "array": return [exampleFor(schema.items || {}, depth + 1)];
    }
    if (schema.type === "object" || schema.properties) {
      const result = {};
      for (const [name, property] of Object.entries(schema.properties || {})) {
        result[name] = exampleFor(property, depth + 1);
      }
      return result;
    }
    return null;
  }

  // A short type name: "integer", "Item", "array of Tag", "string | null".
  function typeName(schema) {
    const name = refName(schema);
    if (name) return name;
    if (schema.anyOf || schema.oneOf) return (schema.anyOf || schema.oneOf).map(typeName).join(" | ");
    if (schema.enum) return schema.enum.map((value) => JSON.stringify(value)).join(" | ");
    if (schema.type === "array") return "array of " + typeName(schema.items || {});
    if (isFile(schema)) return "file";
    if (schema.type) return schema.type + (schema.format ? ` (${schema.format})` : "");
    return "any";
  }

  // Constraints a reader should see next to the type: "≥ 1", "max length 5", ...
  function constraintText(schema) {
    const labels = { minimum: "≥", maximum: "≤", exclusiveMinimum: ">", exclusiveMaximum: "<",
      minLength: "min length", maxLength: "max length", pattern: "pattern", multipleOf: "multiple of",
      default: "default" };
    return Object.entries(labels)
      .filter(([key]) => schema[key] !== undefined)
      .map(([key, label]) => `${label} ${JSON.stringify(schema[key])}`)
      .join(", ");
  }

  // The schema as indented text, models expanded once each:
  //   Item {
  //     name*: string  (min length 1)  the name
  //     tags: array of Tag { name*: string }
  function schemaText(schema, indent = "", expanded = new Set()) {
    // Optional[X] (anyOf X or null): describe X in full, then say it may be null.
    const members = schema.anyOf || [];
    const nonNull = members.filter((member) => member.type !== "null");
    if (members.length === 2 && nonNull.length === 1) {
      const member = { ...schema, anyOf: undefined, ...nonNull[0] };
      return schemaText(member, indent, expanded) + " | null";
    }
    const name = refName(schema);
    const resolved = resolve(schema);
    const isObject = resolved.properties && !(name && expanded.has(name));
    if (resolved.type === "array" && resolved.items) {
      return "array of " + schemaText(resolved.items, indent, expanded);
    }
    if (!isObject) {
      const extra = constraintText(resolved);
      return typeName(schema) + (extra ? `  (${extra})` : "");
    }
    if (name) expanded.add(name);
    const required = new Set(resolved.required || []);
    const lines = Object.entries(resolved.properties).map(([propertyName, property]) => {
      const mark = required.has(propertyName) ? "*" : "";
      const description = resolve(property).description ? "  " + resolve(property).description : "";
      const type = schemaText(property, indent + "  ", expanded);
      return `${indent}  ${propertyName}${mark}: ${type}${description}`;
    });
    return `${name || "object"} {\n${lines.join("\n")}\n${indent}}`;
  }

  // ---- the page ----------------------------------------------------------------------

  const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

  function render(spec) {
    state.spec = spec;
    const info = spec.info || {};
    document.title = info.title || document.title;
    document.getElementById("api-title").textContent = info.title || "API";
    document.getElementById("api-version").textContent = info.version ? "v" + info.version : "";
    document.getElementById("api-description").textContent = info.description || "";
    document.getElementById("authorize-button").hidden =
      Object.keys((spec.components || {}).securitySchemes || {}).length === 0;

    // Group operations by their first tag: the tags the document lists (§4.8.22) come
    // first, in its order and with their descriptions, then the others as they appear.
    const tagDescriptions = new Map();
    const groups = new Map();
    for (const tag of spec.tags || []) {
      tagDescriptions.set(tag.name, tag.description || "");
      groups.set(tag.name, []);
    }
    for (const [path, pathItem] of Object.entries(spec.paths || {})) {
      for (const method of HTTP_METHODS) {
        const operation = pathItem[method];
        if (!operation) continue;
        const tag = (operation.tags || [])[0] || "default";
        if (!groups.has(tag)) groups.set(tag, []);
        groups.get(tag).push([path, method, operation, pathItem.parameters || []]);
      }
    }
    const container = document.getElementById("operations");
    container.replaceChildren();
    for (const [tag, operations] of groups) {
      if (!operations.length) continue;
      const section = element("section", { class: "tag", "data-tag": tag }, element("h2", { text: tag }));
      if (tagDescriptions.get(tag)) {
        section.append(element("p", { class: "description", text: tagDescriptions.get(tag) }));
      }
      for (const entry of operations) section.append(renderOperation(...entry));
      container.append(section);
    }
    document.getElementById("status").textContent =
      container.children.length ? "" : "This API has no operations yet: add a route and reload.";
    renderAuthorizeDialog();
  }

  function renderOperation(path, method, operation, pathParameters) {
    const parameters = [...pathParameters, ...(operation.parameters || [])];
    const lock = element("span", { class: "lock" });
    if (securityRequirements(operation).length) state.lockIcons.push([lock, operation]);
    const summary = element("summary", {},
      element("span", { class: "method", text: method.toUpperCase() }),
      element("span", { class: "path", text: path }),
      element("span", { class: "summary", text: operation.summary || "" }),
      lock);
    const details = element("details", {
      class: `operation method-${method}${operation.deprecated ? " deprecated" : ""}`,
      "data-operation-id": operation.operationId || `${method} ${path}`,
    }, summary);
    if (operation.description) {
      details.append(element("p", { class: "description", text: operation.description }));
    }

    const inputs = {}; // parameter name -> input element
    if (parameters.length) details.append(renderParameters(parameters, inputs));
    const body = operation.requestBody ? renderRequestBody(operation.requestBody) : null;
    if (body) details.append(body.node);

    const result = element("div", { class: "result" });
    const execute = element("button", {
      type: "button", class: "execute", text: "Execute",
      onclick: () => sendRequest(path, method, operation, parameters, inputs, body, result),
    });
    details.append(execute, result, renderResponses(operation.responses || {}));
    refreshLock(lock, operation);
    return details;
  }

  function renderParameters(parameters, inputs) {
    const rows = parameters.map((parameter) => {
      const schema = parameter.schema || {};
      const input = element("input", {
        name: parameter.name, "data-in": parameter.in, "aria-label": `${parameter.in} ${parameter.name}`,
        placeholder: effective(schema).type === "array" ? "comma, separated" : typeName(schema),
      });
      const example = resolve(schema).default;
      if (example !== undefined && example !== null) {
        input.value = Array.isArray(example) ? example.join(",") : example;
      }
      inputs[parameter.name] = { input, parameter };
      return element("tr", {},
        element("td", {}, element("code", { text: parameter.name + (parameter.required ? "*" : "") })),
        element("td", { text: parameter.in }),
        element("td", { text: schemaText(schema) }),
        element("td", { text: parameter.description || "" }),
        element("td", {}, input));
    });
    return element("table", { class: "parameters" },
      element("thead", {}, element("tr", {}, ...["Name", "In", "Type", "Description", "Value"].map(
        (heading) => element("th", { text: heading })))),
      element("tbody", {}, ...rows));
  }

  // The body editor: a JSON textarea, or one input per form field.
  const FORM_MEDIA_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data"];

  function renderRequestBody(requestBody) {
    const [mediaType, media] = Object.entries(requestBody.content || {})[0] || ["application/json", {}];
    const schema = media.schema || {};
    const node = element("div", { class: "request-body" },
      element("h3", { text: `Request body (${mediaType})${requestBody.required ? " *" : ""}` }),
      element("pre", { class: "schema", text: schemaText(schema) }));
    const isJson = /[/+]json\b/.test(mediaType);
    if (isJson || !FORM_MEDIA_TYPES.includes(mediaType)) {
      // JSON gets an example to edit; any other media type (text/plain, XML...) is
      // typed in and sent as it is.
      const textarea = element("textarea", {
        rows: 8, spellcheck: "false", class: "body-text", "aria-label": "request body",
      });
      textarea.value = isJson ? JSON.stringify(exampleFor(schema), null, 2) : "";
      node.append(textarea);
      return { node, mediaType, isJson, read: () => textarea.value };
    }
    const fields = {};
    const required = new Set(resolve(schema).required || []);
    for (const [name, property] of Object.entries(resolve(schema).properties || {})) {
      const isArray = resolve(property).type === "array";
      const file = isFile(property) || (isArray && isFile(resolve(property).items || {}));
      const type = file ? "file" : resolve(property).format === "password" ? "password" : "text";
      const input = element("input", { name, type, multiple: file && isArray });
      const fallback = resolve(property).default;
      if (!file && fallback !== undefined && fallback !== null) input.value = fallback;
      fields[name] = input;
      node.append(element("label", { class: "form-field" },
        element("span", { text: name + (required.has(name) ? "*" : "") }), input));
    }
    return { node, mediaType, read: () => fields };
  }

  function renderResponses(responses) {
    const rows = Object.entries(responses).map(([code, response]) => {
      const media = Object.entries(response.content || {})[0];
      const schema = media && media[1].schema;
      return element("tr", {},
        element("td", {}, element("code", { text: code })),
        element("td", { text: response.description || "" }),
        element("td", {}, media
          ? element("pre", { class: "schema", text: `${media[0]}\n${schemaText(schema || {})}` })
          : null));
    });
    return element("div", { class: "responses" }, element("h3", { text: "Responses" }),
      element("table", {}, element("tbody", {}, ...rows)));
  }

  // ---- sending a request -------------------------------------------------------------

  async function sendRequest(path, method, operation, parameters, inputs, body, result) {
    result.replaceChildren(element("p", { text: "Sending…" }));
    try {
      const request = buildRequest(path, method, operation, inputs, body);
      const response = await fetch(request.url, request.init);
      const text = await response.text();
      showResponse(result, request, response, text);
    } catch (error) {
      result.replaceChildren(element("p", { class: "error", text: String(error.message || error) }));
    }
  }

  function buildRequest(path, method, operation, inputs, body) {
    const base = apiBase();
    const url = new URL(base.origin);
    const headers = new Headers();
    let urlPath = path;
    for (const { input, parameter } of Object.values(inputs)) {
      const value = input.value.trim();
      if (value === "") {
        if (parameter.required) throw new Error(`${parameter.in} parameter "${parameter.name}" is required`);
        continue;
      }
      const isArray = effective(parameter.schema || {}).type === "array";
      const values = isArray ? value.split(",").map((part) => part.trim()) : [value];
      if (parameter.in === "path") urlPath = urlPath.replace(`{${parameter.name}}`, encodeURIComponent(value));
      else if (parameter.in === "query") values.forEach((item) => url.searchParams.append(parameter.name, item));
      else if (parameter.in === "header") headers.set(parameter.name, value);
      // Browsers do not let a script set the Cookie header: set the cookie for this
      // origin instead, and fetch() sends it. The value is percent-encoded because
      // RFC 6265 §4.1.1 allows no space, ";" or "," in it (a ";" would add attributes).
      else if (parameter.in === "cookie") document.cookie = `${parameter.name}=${encodeURIComponent(value)}; path=/`;
    }
    url.pathname = base.pathname.replace(/\/$/, "") + urlPath;
    applyCredentials(operation, url, headers);
    const init = { method: method.toUpperCase(), headers, credentials: "same-origin" };
    if (body) init.body = encodeBody(body, headers);
    return { url: url.toString(), init };
  }

  // Where the API lives: the first Server Object's URL (§4.8.5; relative URLs are
  // relative to the document, and {variables} take their defaults), else the
  // document's own origin.
  function apiBase() {
    const server = (state.spec.servers || [])[0];
    if (!server) return new URL("/", openapiUrl);
    const variables = server.variables || {};
    const url = server.url.replace(/\{([^}]+)\}/g, (_, name) => (variables[name] || {}).default || "");
    return new URL(url, openapiUrl);
  }

  function encodeBody(body, headers) {
    const value = body.read();
    if (typeof value === "string") {
      if (value.trim() === "") return undefined;
      if (body.isJson) {
        try {
          JSON.parse(value);
        } catch (error) {
          throw new Error(`the request body is not valid JSON (${error.message}): fix it or clear it`);
        }
      }
      headers.set("content-type", body.mediaType);
      return value;
    }
    if (body.mediaType === "multipart/form-data") {
      const form = new FormData(); // fetch() writes the content-type with its boundary
      for (const [name, input] of Object.entries(value)) {
        if (input.type === "file") for (const file of input.files) form.append(name, file);
        else if (input.value !== "") form.append(name, input.value);
      }
      return form;
    }
    const form = new URLSearchParams();
    for (const [name, input] of Object.entries(value)) if (input.value !== "") form.append(name, input.value);
    headers.set("content-type", "application/x-www-form-urlencoded");
    return form.toString();
  }

  function showResponse(result, request, response, text) {
    let shown = text;
    if ((response.headers.get("content-type") || "").includes("json")) {
      try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch { /* show it as it came */ }
    }
    const headerLines = [...response.headers].map(([name, value]) => `${name}: ${value}`).join("\n");
    result.replaceChildren(
      element("h3", { text: "Response" }),
      element("p", { class: "request-line", text: `${request.init.method} ${request.url}` }),
      element("pre", { class: "curl", text: curlCommand(request) }),
      element("p", {
        class: `status-code status-${String(response.status)[0]}xx`,
        text: `${response.status} ${response.statusText}`,
      }),
      element("pre", { class: "response-headers", text: headerLines }),
      element("pre", { class: "response-body", text: shown }));
  }

  // The same request as a command line, to paste into a terminal (multipart bodies
  // are left out: curl would need the files on disk, as -F name=@path).
  function curlCommand(request) {
    const quote = (text) => `'${String(text).replace(/'/g, "'\\''")}'`;
    const parts = ["curl", "-X", request.init.method, quote(request.url)];
    for (const [name, value] of request.init.headers) parts.push("-H", quote(`${name}: ${value}`));
    if (typeof request.init.body === "string") parts.push("--data", quote(request.init.body));
    return parts.join(" ");
  }

  // ---- authorization -----------------------------------------------------------------

  function securityRequirements(operation) {
    return operation.security || state.spec.security || [];
  }

  // Use the first Security Requirement Object whose schemes all have credentials
  // (OpenAPI 3.1 §4.8.30: any one requirement in the list satisfies the operation).
  function applyCredentials(operation, url, headers) {
    const requirement = securityRequirements(operation).find(
      (candidate) => Object.keys(candidate).every((name) => state.credentials[name]));
    for (const name of Object.keys(requirement || {})) {
      const credential = state.credentials[name];
      if (credential.kind === "bearer") headers.set("authorization", `Bearer ${credential.token}`);
      if (credential.kind === "basic") headers.set("authorization", `Basic ${btoa(credential.userPass)}`);
      if (credential.kind === "apiKey") {
        if (credential.in === "header") headers.set(credential.name, credential.value);
        if (credential.in === "query") url.searchParams.set(credential.name, credential.value);
        if (credential.in === "cookie") {
          document.cookie = `${credential.name}=${encodeURIComponent(credential.value)}; path=/`;
        }
      }
    }
  }

  function refreshLock(lock, operation) {
    const authorized = securityRequirements(operation).some(
      (requirement) => Object.keys(requirement).every((name) => state.credentials[name]));
    const secured = securityRequirements(operation).length > 0;
    lock.textContent = secured ? (authorized ? "authorized ✓" : "needs auth") : "";
    lock.className = secured ? (authorized ? "lock lock-closed" : "lock lock-open") : "lock";
    lock.title = secured ? (authorized ? "credentials will be sent" : "needs authorization") : "";
  }

  function setCredential(name, credential) {
    if (credential) state.credentials[name] = credential;
    else delete state.credentials[name];
    for (const [lock, operation] of state.lockIcons) refreshLock(lock, operation);
    renderAuthorizeDialog();
  }

  function renderAuthorizeDialog() {
    const schemes = (state.spec.components || {}).securitySchemes || {};
    const container = document.getElementById("authorize-schemes");
    container.replaceChildren(...Object.entries(schemes).map(([name, scheme]) => renderScheme(name, scheme)));
  }

  function renderScheme(name, scheme) {
    const box = element("fieldset", { class: "scheme", "data-scheme": name },
      element("legend", { text: `${name} (${scheme.type}${scheme.scheme ? ", " + scheme.scheme : ""})` }));
    if (scheme.description) box.append(element("p", { text: scheme.description }));
    if (state.credentials[name]) {
      box.append(element("p", { class: "authorized", text: "Authorized." }),
        element("button", { type: "button", text: "Logout", onclick: () => setCredential(name, null) }));
      return box;
    }
    const field = (label, type = "text") => {
      const input = element("input", { type, name: label });
      box.append(element("label", {}, element("span", { text: label }), input));
      return input;
    };
    const message = element("p", { class: "error" });
    let authorize;
    if (scheme.type === "oauth2" && scheme.flows && scheme.flows.password) {
      const flow = scheme.flows.password;
      box.append(element("p", {
        class: "flow", text: `Password flow: your username and password are posted to ${flow.tokenUrl}`,
      }));
      const username = field("username"), password = field("password", "password");
      const scopes = Object.keys(flow.scopes || {}).map((scope) => {
        const checkbox = element("input", { type: "checkbox", value: scope });
        const label = element("span", { text: `${scope}: ${flow.scopes[scope]}` });
        box.append(element("label", { class: "scope" }, checkbox, label));
        return checkbox;
      });
      authorize = () => passwordLogin(name, flow.tokenUrl, username.value, password.value,
        scopes.filter((box) => box.checked).map((box) => box.value), message);
    } else if (scheme.type === "http" && (scheme.scheme || "").toLowerCase() === "bearer") {
      const token = field("token");
      authorize = () => setCredential(name, { kind: "bearer", token: token.value.trim() });
    } else if (scheme.type === "http" && (scheme.scheme || "").toLowerCase() === "basic") {
      const username = field("username"), password = field("password", "password");
      authorize = () => setCredential(name, { kind: "basic", userPass: `${username.value}:${password.value}` });
    } else if (scheme.type === "apiKey") {
      const value = field(`${scheme.name} (${scheme.in})`);
      authorize = () => setCredential(name, { kind: "apiKey", in: scheme.in, name: scheme.name, value: value.value });
    } else {
      box.append(element("p", {
        text: "This page cannot authorize with this scheme; send the credentials from a client.",
      }));
      return box;
    }
    const button = element("button", {
      type: "button", class: "authorize-scheme", text: "Authorize", onclick: authorize,
    });
    box.append(button, message);
    return box;
  }

  // OAuth2 password flow (RFC 6749 §4.3): POST the form to the token endpoint, keep
  // the access_token, and send it as a Bearer token (RFC 6750 §2.1) from now on.
  async function passwordLogin(name, tokenUrl, username, password, scopes, message) {
    const form = new URLSearchParams({ grant_type: "password", username, password });
    if (scopes.length) form.set("scope", scopes.join(" "));
    message.textContent = "Logging in…";
    try {
      const response = await fetch(new URL(tokenUrl, openapiUrl), {
        method: "POST", body: form, credentials: "same-origin",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      const answer = await response.json().catch(() => ({}));
      if (!response.ok || !answer.access_token) {
        const detail = answer.error_description || answer.detail || answer.error || "";
        const shown = typeof detail === "string" ? detail : JSON.stringify(detail);
        message.textContent = `login failed: ${response.status} ${shown}`;
        return;
      }
      setCredential(name, { kind: "bearer", token: answer.access_token });
    } catch (error) {
      message.textContent = `login failed: ${error.message}`;
    }
  }

  // ---- start ---------------------------------------------------------------------------

  // The schema helpers, reachable from the browser console (and from the tests):
  // try miniasgiDocs.exampleFor({type: "array", items: {type: "integer"}}).
  window.miniasgiDocs = { exampleFor, typeName, schemaText, curlCommand };

  // Show only the operations whose method, path, summary or tag contain the filter text.
  function applyFilter() {
    const wanted = document.getElementById("filter").value.trim().toLowerCase();
    for (const section of document.querySelectorAll("section.tag")) {
      let visible = 0;
      for (const panel of section.querySelectorAll("details.operation")) {
        const text = `${section.dataset.tag} ${panel.querySelector("summary").textContent}`;
        panel.hidden = wanted !== "" && !text.toLowerCase().includes(wanted);
        if (!panel.hidden) visible += 1;
      }
      section.hidden = visible === 0;
    }
  }

  document.getElementById("filter").addEventListener("input", applyFilter);
  document.getElementById("authorize-button").addEventListener("click", () => {
    document.getElementById("authorize-dialog").showModal();
  });

  fetch(openapiUrl, { credentials: "same-origin" })
    .then((response) => {
      if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
      return response.json();
    })
    .then(render)
    .catch((error) => {
      document.getElementById("status").textContent =
        `Could not load the OpenAPI document from ${openapiUrl}: ${error.message}`;
    });
})();
