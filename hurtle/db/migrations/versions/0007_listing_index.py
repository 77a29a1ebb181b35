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
"""An index of the SM's listing order.

``ix_sm_instances_listing`` on ``sm_instances (project, service,
created_at, id)``: a listing of a project's instances of a service, or
one page of it (``?limit=``, ``?marker=``), is read in index order
instead of sorting every instance of the project (issue 12). No row
changes.

Revision ID: 0007
Revises: 0006
"""
from alembic import op

revision = '0007'
down_revision = '0006'


def upgrade():
    op.create_index('ix_sm_instances_listing', 'sm_instances',
                    ['project', 'service', 'created_at', 'id'])
