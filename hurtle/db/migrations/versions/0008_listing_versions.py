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
"""The listing index also holds each instance's version.

``ix_sm_instances_listing`` becomes ``sm_instances (project, service,
created_at, id, updated_at)``: a JSON listing reads each instance's id
and ``updated_at`` in listing order to reuse the documents it kept
(``hurtle.sm.store.InstanceStore.versions``), from the index alone
instead of one look-up of the row per instance (a fifth of a warm
10,000-instance listing on SQLite, benchmarks/listing.py). No row
changes.

Revision ID: 0008
Revises: 0007
"""
from alembic import op

revision = '0008'
down_revision = '0007'

_NAME = 'ix_sm_instances_listing'


def upgrade():
    op.drop_index(_NAME, table_name='sm_instances')
    op.create_index(_NAME, 'sm_instances',
                    ['project', 'service', 'created_at', 'id', 'updated_at'])
