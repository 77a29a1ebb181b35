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
"""SQLAlchemy models of Hurtle's persistent state.

``ServiceInstance`` rows belong to the SM (one per service instance, kept
until the instance and its resources are gone), and so do ``UserMixin``
rows (mixins users defined); ``App`` rows belong to the
CC (one per OCCI ``app``, i.e. one running SO), and so do ``Stack`` rows
(one per OCCI ``stack``: a Heat stack the CC deployed for an SO).
"""
import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from hurtle.db import types


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class Base(orm.DeclarativeBase):
    pass


class ServiceInstance(Base):
    """One instance of a Hurtle service, as the SM knows it."""

    __tablename__ = 'sm_instances'
    #: A project's instances of a service in listing order (creation,
    #: then id): a listing or a page of it is read in index order, not
    #: sorted (``hurtle.sm.store.InstanceStore.listing``).
    __table_args__ = (
        sa.Index('ix_sm_instances_listing', 'project', 'service',
                 'created_at', 'id'),
    )

    id = sa.Column(sa.String(36), primary_key=True)
    project = sa.Column(sa.String(255), nullable=False, index=True)
    service = sa.Column(sa.String(255), nullable=False, index=True)
    state = sa.Column(sa.String(32), nullable=False)
    reason = sa.Column(sa.Text, nullable=True)
    attributes = sa.Column(sa.JSON, nullable=False, default=dict)
    pending = sa.Column(sa.JSON, nullable=True)
    app_url = sa.Column(sa.String(1024), nullable=True)
    so_url = sa.Column(sa.String(1024), nullable=True)
    #: Encrypted at rest (``hurtle.db.types``).
    so_secret = sa.Column(types.EncryptedText(255), nullable=True)
    #: ``[{"service_type": ..., "location": ...}]`` in creation order.
    dependencies = sa.Column(sa.JSON, nullable=True)
    #: Number of the lifecycle operation that owns the record (create is
    #: 1; each accepted update, delete or resume adds one).
    operation = sa.Column(sa.Integer, nullable=False, default=0,
                          server_default='0')
    #: ids (``scheme+term``) of the mixins the instance belongs to
    mixins = sa.Column(sa.JSON, nullable=True)
    #: ``occi.core.title``/``summary`` once updated (None: as created,
    #: in ``attributes``)
    title = sa.Column(sa.Text, nullable=True)
    summary = sa.Column(sa.Text, nullable=True)
    #: Id of the SM replica holding the lease on the instance's lifecycle
    #: work (None: nobody), until ``lease_expires`` (UTC) unless renewed
    #: (``hurtle.sm.leases``).
    owner = sa.Column(sa.String(255), nullable=True)
    lease_expires = sa.Column(sa.DateTime, nullable=True)
    created_at = sa.Column(sa.DateTime, nullable=False, default=_now)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=_now,
                           onupdate=_now)


class UserMixin(Base):
    """A mixin a user defined on the SM's query interface (GFD.185
    3.4.1), per project."""

    __tablename__ = 'user_mixins'
    __table_args__ = (
        sa.UniqueConstraint('project', 'scheme', 'term',
                            name='uq_user_mixins_id'),
        sa.UniqueConstraint('project', 'location',
                            name='uq_user_mixins_location'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    project = sa.Column(sa.String(255), nullable=False, index=True)
    scheme = sa.Column(sa.String(255), nullable=False)
    term = sa.Column(sa.String(64), nullable=False)
    title = sa.Column(sa.String(255), nullable=False, default='')
    location = sa.Column(sa.String(255), nullable=False)
    #: ids (``scheme+term``) of related categories
    related = sa.Column(sa.JSON, nullable=False, default=list)
    created_at = sa.Column(sa.DateTime, nullable=False, default=_now)


class App(Base):
    """One OCCI ``app`` of the CC: a deployed SO."""

    __tablename__ = 'cc_apps'

    id = sa.Column(sa.String(36), primary_key=True)
    project = sa.Column(sa.String(255), nullable=False, index=True)
    name = sa.Column(sa.String(255), nullable=False)
    image = sa.Column(sa.String(1024), nullable=False)
    #: The SO's environment (its secret among it), encrypted at rest.
    env = sa.Column(types.EncryptedJSON, nullable=False, default=dict)
    state = sa.Column(sa.String(32), nullable=False)
    url = sa.Column(sa.String(1024), nullable=True)
    runtime_ref = sa.Column(sa.JSON, nullable=True)
    created_at = sa.Column(sa.DateTime, nullable=False, default=_now)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=_now,
                           onupdate=_now)


class Stack(Base):
    """One OCCI ``stack`` of the CC: a Heat stack deployed for the SO of
    app ``app_id`` (``hurtle.cc.stacks``)."""

    __tablename__ = 'cc_stacks'
    __table_args__ = (
        sa.UniqueConstraint('app_id', 'title', name='uq_cc_stacks_title'),
    )

    id = sa.Column(sa.String(36), primary_key=True)
    app_id = sa.Column(sa.String(36), nullable=False, index=True)
    #: The Heat stack name (``occi.core.title``).
    title = sa.Column(sa.String(255), nullable=False)
    #: Heat's id of the stack (None until Heat accepted the create).
    heat_id = sa.Column(sa.String(64), nullable=True)
    region = sa.Column(sa.String(255), nullable=True)
    state = sa.Column(sa.String(32), nullable=False)
    reason = sa.Column(sa.Text, nullable=True)
    outputs = sa.Column(sa.JSON, nullable=True)
    created_at = sa.Column(sa.DateTime, nullable=False, default=_now)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=_now,
                           onupdate=_now)


class LostCreate(Base):
    """A stack create of the CC whose answer was lost (Heat unreachable or
    slow, or the create still in flight when its app was deleted): Heat
    may still make the stack, tagged for app ``app_id``
    (``hurtle.cc.stacks.APP_TAG``), after the app is gone; the CC then
    deletes it with these credentials (``hurtle.cc.orphan_stacks``).
    Kept ``[cc] orphan_stack_window`` seconds."""

    __tablename__ = 'cc_lost_creates'

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    app_id = sa.Column(sa.String(36), nullable=False, index=True)
    #: The Heat stack name the create was sent with.
    title = sa.Column(sa.String(255), nullable=False)
    #: The region it was sent to (None: the default one).
    region = sa.Column(sa.String(255), nullable=True)
    #: The project it was made in (the app's ``HURTLE_PROJECT``).
    project = sa.Column(sa.String(255), nullable=True)
    #: ``{"trust_id": str|None}``, encrypted.
    access = sa.Column(types.EncryptedJSON, nullable=False, default=dict)
    lost_at = sa.Column(sa.DateTime, nullable=False, default=_now,
                        index=True)
    #: Heat's id of the stack of this create that the sweeper deleted
    #: (or found being deleted); None before.
    stack_id = sa.Column(sa.String(64), nullable=True)
    #: When Heat no longer listed that stack (the create is done with);
    #: None before.
    gone_at = sa.Column(sa.DateTime, nullable=True)


class KeptTrust(Base):
    """A Keystone trust whose deletion the CC took over from the SM when
    it deleted app ``app_id`` with lost creates made with that trust
    (``hurtle.cc.kept_trusts``): the CC deletes it once those are done
    with or past ``[cc] orphan_stack_window``."""

    __tablename__ = 'cc_kept_trusts'

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    app_id = sa.Column(sa.String(36), nullable=False, index=True)
    #: The project the app belonged to (the SM's, which deleted it).
    project = sa.Column(sa.String(255), nullable=True)
    #: ``{"trust_id": str}``, encrypted.
    access = sa.Column(types.EncryptedJSON, nullable=False, default=dict)
    kept_at = sa.Column(sa.DateTime, nullable=False, default=_now)
