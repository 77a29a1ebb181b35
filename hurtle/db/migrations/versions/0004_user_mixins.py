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
"""User-defined OCCI mixins and their members, instance titles.

``user_mixins`` keeps the mixins users define on the SM's query interface
(per project); ``sm_instances.mixins`` lists the ids (``scheme+term``) of
the mixins an instance belongs to; ``sm_instances.title`` and ``summary``
keep OCCI Core's ``occi.core.title``/``occi.core.summary`` once updated.

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'


def upgrade():
    op.create_table(
        'user_mixins',
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('project', sa.String(255), nullable=False, index=True),
        sa.Column('scheme', sa.String(255), nullable=False),
        sa.Column('term', sa.String(64), nullable=False),
        sa.Column('title', sa.String(255), nullable=False),
        sa.Column('location', sa.String(255), nullable=False),
        sa.Column('related', sa.JSON, nullable=False),
        sa.Column('created_at', sa.DateTime, nullable=False),
        sa.UniqueConstraint('project', 'scheme', 'term',
                            name='uq_user_mixins_id'),
        sa.UniqueConstraint('project', 'location',
                            name='uq_user_mixins_location'),
    )
    with op.batch_alter_table('sm_instances') as batch:
        batch.add_column(sa.Column('mixins', sa.JSON, nullable=True))
        batch.add_column(sa.Column('title', sa.Text, nullable=True))
        batch.add_column(sa.Column('summary', sa.Text, nullable=True))
