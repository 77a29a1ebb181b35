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
"""Leases on lifecycle work (several SMs on one database).

``sm_instances.owner`` names the SM replica that runs the instance's
lifecycle work (NULL: nobody); ``sm_instances.lease_expires`` is when that
claim lapses unless renewed (UTC). Rows of 0004 get NULL in both: any SM
may resume them at once.

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'


def upgrade():
    with op.batch_alter_table('sm_instances') as batch:
        batch.add_column(sa.Column('owner', sa.String(255), nullable=True))
        batch.add_column(sa.Column('lease_expires', sa.DateTime,
                                   nullable=True))
