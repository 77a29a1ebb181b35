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
"""The trusts the CC keeps for the lost creates of deleted apps
(:mod:`hurtle.cc.kept_trusts`): the rule, the records (SQLite and
PostgreSQL), the app DELETE's answer (real HTTP, the CC's real
application), and their deletion by the sweeper on a real embedded Heat
(the Keystone side: tests.functional.test_keystone_orphans)."""
import datetime
import socket
import types

import fixtures
from keystoneauth1 import loading as ks_loading
import requests
import sqlalchemy as sa
import testtools

from hurtle.cc import kept_trusts
from hurtle.cc import orphan_stacks
from hurtle.cc.runtime import base as runtime_base
from hurtle.cc import stack_store
from hurtle.db import engine as db_engine
from hurtle.db import models
from hurtle import keystone_trusts
from hurtle.occi import client as occi_client
from hurtle.occi import errors
from hurtle import polling
from tests import conf_fixture
from tests.unit.cc import test_app_api
from tests.unit.cc import test_orphan_stacks
from tests.unit.db import test_migrations

NOW = datetime.datetime(2026, 12, 5, 8, 0, 0)
HOUR = datetime.timedelta(hours=1)
HEADER = keystone_trusts.KEPT_HEADER


def _lost(trust_id='t-1', seconds_ago=10, gone=False):
    return types.SimpleNamespace(
        access={'trust_id': trust_id},
        lost_at=NOW - datetime.timedelta(seconds=seconds_ago),
        gone_at=NOW if gone else None)


class RuleTest(testtools.TestCase):
    """The CC keeps a trust for a lost create made with it within the
    window, not done with."""

    def test_a_fresh_lost_create_of_the_trust_keeps_it(self):
        self.assertTrue(kept_trusts.keeps([_lost()], 't-1', NOW - HOUR))

    def test_no_trust_or_no_lost_create_keeps_nothing(self):
        self.assertFalse(kept_trusts.keeps([_lost()], None, NOW - HOUR))
        self.assertFalse(kept_trusts.keeps([], 't-1', NOW - HOUR))
        self.assertFalse(kept_trusts.keeps(None, 't-1', NOW - HOUR))

    def test_another_trusts_lost_create_keeps_nothing(self):
        self.assertFalse(kept_trusts.keeps([_lost('t-2'), _lost(None)],
                                           't-1', NOW - HOUR))

    def test_a_create_lost_before_the_window_keeps_nothing(self):
        self.assertFalse(kept_trusts.keeps([_lost(seconds_ago=3601)],
                                           't-1', NOW - HOUR))

    def test_a_lost_create_done_with_is_not_pending(self):
        done, fresh = _lost(gone=True), _lost()
        self.assertEqual([], kept_trusts.pending([done], 't-1', NOW - HOUR))
        self.assertEqual([fresh], kept_trusts.pending([done, fresh], 't-1',
                                                      NOW - HOUR))

    def test_the_header_is_read_case_blind_and_comma_separated(self):
        answer = requests.structures.CaseInsensitiveDict(
            {HEADER.lower(): 't-1, t-2'})
        self.assertEqual({'t-1', 't-2'}, keystone_trusts.kept_in(answer))
        self.assertEqual(set(), keystone_trusts.kept_in({}))
        self.assertEqual(set(), keystone_trusts.kept_in(None))


class StoreTest(test_migrations.MigratedCase):
    """``cc_kept_trusts`` and the lost creates' progress, on SQLite and
    PostgreSQL."""

    def setUp(self):
        super().setUp()
        tmp = self.useFixture(fixtures.TempDir()).path
        self.useFixture(conf_fixture.HurtleConf(state_path=tmp))
        self.kept = kept_trusts.KeptTrusts(self.url)
        self.lost = stack_store.StackStore(self.url)

    def test_keep_is_one_record_per_app_and_trust(self):
        first = self.kept.keep('a1', 'service', 't-1')
        self.assertEqual(first, self.kept.keep('a1', 'service', 't-1'))
        second = self.kept.keep('a1', 'service', 't-2')
        self.kept.keep('a2', 'service', 't-1')
        self.assertEqual([(first, 't-1'), (second, 't-2')],
                         [(k.id, k.trust_id) for k in self.kept.of('a1')])
        self.assertEqual(['a1', 'a1', 'a2'],
                         [k.app_id for k in self.kept.all()])
        self.assertEqual({'service'}, {k.project for k in self.kept.all()})
        self.kept.forget(first)
        self.kept.forget(first)
        self.assertEqual(['t-2'], [k.trust_id for k in self.kept.of('a1')])
        self.assertEqual([], self.kept.of('none'))

    def test_the_trust_id_is_encrypted_at_rest(self):
        self.kept.keep('a1', 'service', 'the-trust-id')
        with db_engine.get_engine(self.url).connect() as connection:
            raw = connection.execute(sa.text(
                'SELECT access FROM cc_kept_trusts')).scalar()
        self.assertNotIn('the-trust-id', str(raw))

    def lost_rows(self, app_id='a1'):
        return sorted(((row.title, row.access['trust_id'], row.stack_id,
                        row.gone_at is not None)
                       for row in self.lost.lost_of(app_id)),
                      key=lambda row: tuple(str(v) for v in row))

    def test_a_lost_create_is_done_once_its_deleted_stack_is_unlisted(self):
        for title, trust in (('s1', 't-1'), ('s2', 't-1'), ('s3', 't-2')):
            self.lost.record_lost('a1', title, None, 'p1', trust)
        self.lost.record_lost('a1', 's1', 'other', 'p1', 't-1')
        self.assertEqual(1, self.lost.deleting_lost('a1', 's1', None, 't-1',
                                                    'h-1'))
        self.assertEqual(0, self.lost.deleting_lost('a1', 'nope', None,
                                                    't-1', 'h-9'))
        # Still listed: not done; unlisted: done (only that one).
        self.assertEqual(0, self.lost.gone_lost('a1', None, 't-1', {'h-1'},
                                                NOW))
        self.assertEqual(1, self.lost.gone_lost('a1', None, 't-1', set(),
                                                NOW))
        self.assertEqual(0, self.lost.gone_lost('a1', None, 't-1', set(),
                                                NOW))
        self.assertEqual([('s1', 't-1', None, False),
                          ('s1', 't-1', 'h-1', True),
                          ('s2', 't-1', None, False),
                          ('s3', 't-2', None, False)], self.lost_rows())
        # The trust deleted: its lost creates go, the other trust's stay.
        self.assertEqual(3, self.lost.forget_lost('a1', 't-1'))
        self.assertEqual([('s3', 't-2', None, False)], self.lost_rows())

    def test_a_lost_create_renewed_is_pending_again(self):
        self.lost.record_lost('a1', 's1', None, 'p1', 't-1')
        self.lost.deleting_lost('a1', 's1', None, 't-1', 'h-1')
        self.lost.gone_lost('a1', None, 't-1', set(), NOW)
        self.lost.record_lost('a1', 's1', None, 'p1', 't-1')
        self.assertEqual([('s1', 't-1', None, False)], self.lost_rows())


class AppDeleteTest(testtools.TestCase):
    """``DELETE /app/<id>`` of the CC's real application over HTTP: the
    record and the header."""

    def setUp(self):
        super().setUp()
        test_app_api.serve_cc(self, cc__orphan_stack_window=3600)
        self.kept = self.backend.kept_trusts
        self.lost = self.backend.stacks.store

    def add_app(self, app_id, trust_id='t-1'):
        env = {'HURTLE_SO_SECRET': 's', 'HURTLE_PROJECT': 'p1'}
        if trust_id:
            env['HURTLE_TRUST_ID'] = trust_id
        with db_engine.sessionmaker(
                self.conf.database.connection).begin() as session:
            session.add(models.App(id=app_id, project='service',
                                   name=app_id, image='bundle',
                                   state='active', env=env))

    def delete(self, app_id, project='service'):
        return requests.delete(self.url + 'app/' + app_id,
                               headers={'X-Project-Id': project},
                               timeout=30)

    def test_an_app_with_a_lost_create_of_its_trust_keeps_it(self):
        self.add_app('a1')
        self.lost.record_lost('a1', 'late', None, 'p1', 't-1')
        resp = self.delete('a1')
        self.assertEqual(200, resp.status_code, resp.text)
        self.assertEqual('t-1', resp.headers[HEADER])
        kept, = self.kept.of('a1')
        self.assertEqual(('service', 't-1'), (kept.project, kept.trust_id))
        test_app_api.wait_removed(self, 'a1')
        # A DELETE sent again (the SM's answer lost): 404, same header.
        resp = self.delete('a1')
        self.assertEqual(404, resp.status_code, resp.text)
        self.assertEqual('t-1', resp.headers[HEADER])
        # The client gives it, with the error.
        error = self.assertRaises(errors.NotFound, self.client.delete,
                                  '/app/a1')
        self.assertEqual({'t-1'},
                         keystone_trusts.kept_in(error.response_headers))
        # Another project is told nothing.
        resp = self.delete('a1', project='other')
        self.assertEqual(404, resp.status_code)
        self.assertNotIn(HEADER, resp.headers)

    def test_an_ordinary_delete_keeps_nothing(self):
        self.add_app('a1')
        answer = self.client.delete('/app/a1')
        self.assertNotIn(HEADER, answer)
        self.assertEqual([], self.kept.all())

    def test_lost_creates_of_no_use_keep_nothing(self):
        # Another trust's; one lost before the window; an app without
        # a trust.
        self.add_app('a1')
        self.lost.record_lost('a1', 'late', None, 'p1', 't-other')
        self.add_app('a2')
        self.lost.record_lost('a2', 'late', None, 'p1', 't-1')
        with db_engine.sessionmaker(
                self.conf.database.connection).begin() as session:
            session.execute(sa.update(models.LostCreate).where(
                models.LostCreate.app_id == 'a2').values(
                lost_at=kept_trusts.utcnow() - 2 * HOUR))
        self.add_app('a3', trust_id=None)
        self.lost.record_lost('a3', 'late', None, 'p1', None)
        for app_id in ('a1', 'a2', 'a3'):
            resp = self.delete(app_id)
            self.assertEqual(200, resp.status_code, resp.text)
            self.assertNotIn(HEADER, resp.headers)
        self.assertEqual([], self.kept.all())

    def test_no_sweeper_keeps_nothing(self):
        # [cc] orphan_stack_interval = 0: nobody would delete it.
        self.conf.set_override('orphan_stack_interval', 0, group='cc')
        self.add_app('a1')
        self.lost.record_lost('a1', 'late', None, 'p1', 't-1')
        self.assertNotIn(HEADER, self.client.delete('/app/a1'))
        self.assertEqual([], self.kept.all())

    def test_an_app_whose_so_cannot_stop_keeps_nothing(self):
        self.add_app('a1')
        self.lost.record_lost('a1', 'late', None, 'p1', 't-1')
        runtime = self.backend.runtime

        def refuse(ref):
            raise runtime_base.RuntimeError_('refused')
        runtime.begin_stop = refuse
        self.addCleanup(delattr, runtime, 'begin_stop')
        resp = self.delete('a1')
        self.assertEqual(409, resp.status_code, resp.text)
        self.assertNotIn(HEADER, resp.headers)
        self.assertEqual([], self.kept.all())

    def test_a_record_that_cannot_be_read_answers_500(self):
        self.add_app('a1')
        self.lost.record_lost('a1', 'late', None, 'p1', 't-1')
        self.client.delete('/app/a1')

        def broken(app_id):
            raise sa.exc.OperationalError('SELECT', {}, Exception('down'))
        self.useFixture(fixtures.MonkeyPatch(
            'hurtle.cc.kept_trusts.KeptTrusts.of',
            lambda self, app_id: broken(app_id)))
        # The SM cannot tell: it sends the DELETE again later.
        self.assertEqual(500, self.delete('a1').status_code)


class _Keystone(object):
    """Trust deletes as Keystone would answer them: ``down`` (TrustError,
    as ``keystone_trusts.delete`` raises for an unreachable Keystone)
    or deleted (recorded in ``deleted``)."""

    def __init__(self):
        self.down = False
        self.deleted = []

    def delete(self, conf, trust_id):
        if self.down:
            raise keystone_trusts.TrustError(
                'cannot delete the trust: ConnectFailure: refused')
        self.deleted.append(trust_id)


class ReleaseTest(test_orphan_stacks.SweeperCase):
    """The sweeper deletes a kept trust once its app's lost creates are
    done with, on the class's embedded Heat (noauth: the trust only
    names the credentials)."""

    def setUp(self):
        super().setUp()
        self.keystone = _Keystone()
        self.sweeper = orphan_stacks.Sweeper(
            self.conf, self.backend, delete_trust=self.keystone.delete)
        self.kept = self.backend.kept_trusts
        self.drop_all_lost()
        self.stacks.record_lost('gone', 'orphan', None, 'p1', 't-1')
        self.kept.keep('gone', 'service', 't-1')

    def test_the_trust_is_deleted_once_the_late_stack_is_gone(self):
        self.assertEqual(0, self.sweeper.sweep())
        # Heat has not made it yet: kept.
        self.assertEqual([], self.keystone.deleted)
        orphan = self.make('orphan', 'hurtle-app-gone')
        self.assertEqual(1, self.sweeper.sweep())
        row, = self.stacks.lost_of('gone')
        self.assertEqual((orphan, None), (row.stack_id, row.gone_at))
        self.assertIn(orphan, self.sweeper._awaited)
        self.assert_gone_from_heat('orphan')
        self.assertEqual([], self.keystone.deleted)
        # Its delete's event wakes the thread, which finds it gone.
        self.sweeper.start()
        self.addCleanup(self.sweeper.stop, 5)
        self.backend.stacks.events.notify(orphan, 'DELETE_COMPLETE')
        polling.poll_until(
            lambda: self.keystone.deleted or None, 10, 0.05,
            'the trust deleted')
        self.assertEqual(['t-1'], self.keystone.deleted)
        self.assertEqual([], self.kept.all())
        self.assertEqual([], self.stacks.lost_of('gone'))
        self.assertEqual(1, self.sweeper.releaser.deleted)

    def test_a_trust_past_the_window_is_deleted_with_no_stack_made(self):
        self.sweeper.clock = lambda: (orphan_stacks._utcnow() +
                                      datetime.timedelta(
                                          seconds=test_orphan_stacks.WINDOW
                                          + 5))
        self.assertEqual(0, self.sweeper.sweep())
        self.assertEqual(['t-1'], self.keystone.deleted)
        self.assertEqual([], self.kept.all())
        self.assertEqual([], self.sweeper_calls())

    def test_keystone_down_keeps_the_record_and_tries_again(self):
        self.sweeper.clock = lambda: (orphan_stacks._utcnow() +
                                      datetime.timedelta(
                                          seconds=test_orphan_stacks.WINDOW
                                          + 5))
        self.keystone.down = True
        log = self.useFixture(fixtures.FakeLogger())
        self.sweeper.sweep()
        self.sweeper.sweep()
        self.assertEqual(['gone'], [k.app_id for k in self.kept.all()])
        lines = [line for line in log.output.splitlines()
                 if 'cannot delete the trust of deleted app gone' in line]
        self.assertEqual(1, len(lines), log.output)
        self.assertNotIn('t-1', log.output)
        # Back: the next look deletes it (no drop due, no stack done).
        self.keystone.down = False
        self.sweeper.sweep()
        self.assertEqual(['t-1'], self.keystone.deleted)
        self.assertEqual([], self.kept.all())
        self.assertFalse(self.sweeper.releaser.owed)

    def test_another_ccs_sweeper_deleting_it_too_is_harmless(self):
        # Two CCs on one database: each deletes it (Keystone's 404 for
        # the second is success); the record goes once.
        other = orphan_stacks.Sweeper(self.conf, self.backend,
                                      delete_trust=self.keystone.delete)
        clock = lambda: (orphan_stacks._utcnow() + datetime.timedelta(  # noqa
            seconds=test_orphan_stacks.WINDOW + 5))
        self.sweeper.clock = other.clock = clock
        self.sweeper.sweep()
        other.sweep()
        self.assertEqual(['t-1'], self.keystone.deleted)
        self.assertEqual([], self.kept.all())


class UnreachableKeystoneTest(testtools.TestCase):

    def test_delete_raises_trust_error_naming_the_failure(self):
        sock = socket.socket()
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
        sock.close()   # nothing listens there
        conf = self.useFixture(conf_fixture.HurtleConf(
            service_credentials__auth_type='password')).conf
        conf.register_opts(ks_loading.get_auth_plugin_conf_options(
            'password'), group='service_credentials')
        for name, value in (('auth_url', 'http://127.0.0.1:%d/v3' % port),
                            ('username', 'hurtle'), ('password', 'pw'),
                            ('user_domain_id', 'default')):
            conf.set_override(name, value, group='service_credentials')
        error = self.assertRaises(keystone_trusts.TrustError,
                                  keystone_trusts.delete, conf, 't-1')
        self.assertIn('cannot delete the trust', str(error))
        self.assertIsNone(error.status)


class ClientHeadersTest(testtools.TestCase):

    def test_a_delete_answers_its_headers(self):
        test_app_api.serve_cc(self)
        client = occi_client.OCCIClient(
            self.url, headers={'X-Project-Id': 'service'}, retries=0)
        error = self.assertRaises(errors.NotFound, client.delete,
                                  '/app/none')
        self.assertIn('Content-Type', error.response_headers)
        self.assertEqual([], [h for h in error.headers
                              if h[0] == 'Content-Type'])
