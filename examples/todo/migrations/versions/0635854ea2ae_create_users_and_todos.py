"""create users and todos

Revision: 0635854ea2ae
Revises: None
Created: 2026-11-28 21:16:17 UTC
"""

from miniorm.migrations import operations as op

revision = '0635854ea2ae'
down_revision = None


def upgrade() -> None:
    op.create_table(
        'todo_user',
        op.column('id', 'int', primary_key=True, autoincrement=True),
        op.column('email', 'str(320)', nullable=False),
        op.column('full_name', 'str(200)'),
        op.column('password_hash', 'str', nullable=False),
        op.column('roles', 'str', nullable=False),
        op.column('created_at', 'datetime_tz', nullable=False),
        op.unique('todo_user_email_key', ['email']),
    )
    op.create_table(
        'todo_item',
        op.column('id', 'int', primary_key=True, autoincrement=True),
        op.column('owner_id', 'int', nullable=False),
        op.column('title', 'str(200)', nullable=False),
        op.column('description', 'str'),
        op.column('done', 'bool', nullable=False),
        op.column('created_at', 'datetime_tz', nullable=False),
        op.column('updated_at', 'datetime_tz', nullable=False),
        op.foreign_key(
            'todo_item_owner_id_fkey',
            ['owner_id'],
            'todo_user',
            ['id'],
            on_delete='CASCADE',
        ),
    )
    op.create_index('ix_todo_item_owner_id', 'todo_item', ['owner_id'])


def downgrade() -> None:
    op.drop_table('todo_item')
    op.drop_table('todo_user')
