# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.
"""The trusts the CC keeps for lost creates (``hurtle.cc.kept_trusts``).

``cc_kept_trusts`` holds one row per Keystone trust whose deletion the
CC took over when it deleted an app with lost creates made with that
trust: the app, its project (the caller's, the SM's), the trust id
(encrypted) and when it was kept. ``cc_lost_creates`` gets
``stack_id`` (Heat's id of the stack of that create the CC's sweeper
deleted or found being deleted) and ``gone_at`` (when Heat no longer
listed that stack), both NULL on the rows of 0008. No other row changes.

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'


def upgrade():
    op.create_table(
        'cc_kept_trusts',
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('app_id', sa.String(36), nullable=False, index=True),
        sa.Column('project', sa.String(255), nullable=True),
        sa.Column('access', sa.JSON, nullable=False),
        sa.Column('kept_at', sa.DateTime, nullable=False))
    with op.batch_alter_table('cc_lost_creates') as batch:
        batch.add_column(sa.Column('stack_id', sa.String(64),
                                   nullable=True))
        batch.add_column(sa.Column('gone_at', sa.DateTime, nullable=True))
