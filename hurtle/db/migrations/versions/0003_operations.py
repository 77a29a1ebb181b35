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
"""Number the lifecycle operations of each SM instance.

``sm_instances.operation`` is incremented by the conditional update that
accepts an operation (create, update, delete, resume), so that exactly one
of several concurrent requests wins and a finishing lifecycle never
overwrites the record of a newer one.

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'


def upgrade():
    with op.batch_alter_table('sm_instances') as batch:
        batch.add_column(sa.Column('operation', sa.Integer, nullable=False,
                                   server_default='0'))
