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
"""Run the whole embedded default (``hurtle-all``) for functional tests.

``HurtleAll`` writes a hurtle.conf with free loopback ports and a temporary
state directory, starts ``python -m hurtle.cmd.all`` as a real process,
waits for "Hurtle serves", and stops it with SIGTERM by its pid.

``HurtleParts`` runs the same three services (embedded Heat, CC, SM) as
separate processes with the same configuration, so that a test can
``kill_sm()`` (SIGKILL) and ``start_sm()`` again while Heat, the CC and
the SOs keep running (``hurtle-all`` stops everything when a child dies).
``HurtleParts(sms=N)`` runs N SM processes on the one database (each with
its own port, ``.sm_urls``; ``kill_sm(i)``, ``start_sm(i)``);
``database_url`` puts the SMs and the CC on another database (e.g.
PostgreSQL, ``tests/pg_fixture.py``).

Direct calls to the CC go with ``cc_headers()``, to the embedded Heat
through ``heat_client()``.

``keystone`` (a running ``tests.keystone_fixture.Keystone`` with Heat's
accounts) runs Hurtle in Keystone mode against it, embedded Heat included
(``tests.functional.keystone_hurtle``); ``headers(project)``,
``sm_client(project)`` and ``stack_client(project)`` then act as that
project's member, and ``cc_headers()`` carries the service user's token.
In noauth mode they send ``X-Project-Id`` (and the local secret to the CC
and Heat).
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import types

import fixtures
import testtools

from hurtle.cmd import all as all_cmd
from hurtle import local_secret
from hurtle.occi import client as occi_client
from hurtle.occi import errors as occi_errors
from hurtle import polling
from hurtle.so.deployers import heat_noauth as heat_client_mod
from tests.functional import keystone_hurtle
from tests import keystone_fixture
from tests import net
from tests import pg_fixture

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SAMPLE_MANIFEST = os.path.join(ROOT, 'samples', 'sample', 'manifest.json')
#: The samplenode service: its SO is a Node.js program (samples/sample-node).
NODE_MANIFEST = os.path.join(ROOT, 'samples', 'sample-node', 'manifest.json')
COMPOSED_MANIFEST = os.path.join(ROOT, 'samples', 'composed',
                                 'manifest.json')
#: The sample service in the 2016 format (no attribute types).
UNTYPED_MANIFEST = os.path.join(ROOT, 'tests', 'functional',
                                'untyped_manifest.json')

#: Where :meth:`HurtleAll.keep_logs` copies the logs of a failed test.
ARTIFACTS_ENV = 'HURTLE_TEST_ARTIFACTS'

CONF_TEMPLATE = """
[DEFAULT]
state_path = {state}
auth_strategy = noauth
noauth_default_project = demo

[sm]
port = {sm_port}
manifests = {manifests}
cc_url = http://127.0.0.1:{cc_port}/
poll_interval = 0.2
phase_timeout = {phase_timeout}
watch_interval = {watch_interval}
# One worker: a composed instance must not need a second one.
workers = 1
# A killed SM's work is taken over (by its next start) within ~5 s.
lease_time = 5
lease_scan_interval = 0.5

[cc]
port = {cc_port}

[deployer]
heat_url = {deployer_heat_url}

[embedded_heat]
port = {heat_port}
"""


def processes():
    """``[(pid, [argument bytes])]`` of the processes running now (from
    ``/proc``; those that end meanwhile are left out)."""
    found = []
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % name, 'rb') as handle:
                found.append((int(name), handle.read().split(b'\0')))
        except OSError:
            continue
    return found


class HurtleAll(fixtures.Fixture):
    """``hurtle-all`` on free ports; ``.sm_url``, ``.cc_url``,
    ``.heat_url`` (root of the Heat API), ``.state``, ``.conf_path``.

    The CC and the embedded Heat want the local secret: use
    :meth:`cc_headers` / :meth:`cc_client` and :meth:`heat_client`.
    ``cwd``: working directory of hurtle-all (default: the checkout);
    ``console_script``: start the installed ``hurtle-all`` entry point
    instead of ``python -P -m hurtle.cmd.all``; ``extra_conf``: more
    configuration text appended to the generated hurtle.conf;
    ``deployer_heat_url``: ``[deployer] heat_url``, the Heat the SOs use
    (default: hurtle-all's own embedded Heat), e.g. a Heat the test stops
    and restarts; ``database_url``: ``[database] connection`` of the SM
    and the CC (default: a SQLite file under ``state``), e.g. a database
    of ``tests.pg_fixture.PostgreSQL``; ``keystone``: Keystone mode against
    this running ``tests.keystone_fixture.Keystone`` (see the module
    docstring), noauth if None.
    """

    def __init__(self, manifests=(SAMPLE_MANIFEST, COMPOSED_MANIFEST),
                 phase_timeout=120,
                 start_timeout=240, cwd=ROOT, console_script=False,
                 extra_conf='', deployer_heat_url=None, watch_interval=1,
                 database_url=None, keystone=None):
        super().__init__()
        self.manifests = manifests
        self.phase_timeout = phase_timeout
        self.start_timeout = start_timeout
        self.cwd = cwd
        self.console_script = console_script
        self.extra_conf = extra_conf
        self.deployer_heat_url = deployer_heat_url
        self.watch_interval = watch_interval
        self.database_url = database_url
        self.keystone = keystone

    def so_pids(self, app_id=None):
        """Pids of the SO processes this Hurtle's CC started (for the app
        ``app_id`` only, if given)."""
        conf = os.fsencode(self.conf_path)
        # SOs of the cc deployer read only <state>/so/so.conf.
        so_conf = os.fsencode(os.path.join(self.state, 'so', 'so.conf'))
        port_file = os.fsencode(os.path.join(self.state, 'so',
                                             '%s.port' % app_id))
        return [pid for pid, args in processes()
                if b'hurtle.cmd.so' in args and (
                    conf in args or so_conf in args) and (
                    app_id is None or port_file in args)]

    def wait_sos_gone(self, app_id, timeout=15):
        """Wait until no SO process of app ``app_id`` runs: the CC
        answers an app's DELETE once it sent the SO SIGTERM, and waits
        for the exit after (SIGKILL 10 s after the SIGTERM).

        :raises hurtle.polling.Timeout: one still runs after ``timeout``
            seconds.
        """
        polling.poll_until(lambda: not self.so_pids(app_id) or None,
                           timeout, 0.05, 'the SO of %s gone' % app_id)

    def sm_pid(self):
        """Pid of this Hurtle's ``hurtle-sm`` process."""
        return self.part_pid('hurtle.cmd.sm')

    def part_pid(self, module):
        """Pid of this Hurtle's process running ``module`` (e.g.
        ``'hurtle.cmd.cc'``)."""
        for pid in self.pids():
            with open('/proc/%d/cmdline' % pid, 'rb') as handle:
                if module.encode() in handle.read().split(b'\0'):
                    return pid
        raise AssertionError('no %s process' % module)

    def fork_server_pids(self):
        """Pids of the SO fork servers this Hurtle's CC started."""
        cc = self.part_pid('hurtle.cmd.cc')
        found = []
        for pid, args in processes():
            if b'hurtle.cmd.so_fork_server' not in args:
                continue
            try:
                with open('/proc/%d/stat' % pid) as handle:
                    ppid = int(handle.read().rsplit(')', 1)[1].split()[1])
            except OSError:
                continue
            if ppid == cc:
                found.append(pid)
        return found

    def pids(self):
        """Pids of every process started with this Hurtle's hurtle.conf
        (hurtle-all, its children, the SOs of the ``local`` runtime)."""
        conf = os.fsencode(self.conf_path)
        return [pid for pid, args in processes() if conf in args]

    def _write_conf(self):
        self.state = self.useFixture(fixtures.TempDir()).path
        # Held while the fixture lives (tests.net.reserve_port): with
        # several test workers, a merely free port was taken by another
        # test's SO before hurtle-all's SM bound it, and that SO's 401s
        # failed a whole class; a killed SM restarts on its port too.
        self.ports = net.Ports()
        self.addCleanup(self.ports.release)
        ports = dict(sm_port=self.ports.take(), cc_port=self.ports.take(),
                     heat_port=self.ports.take())
        self.sm_url = 'http://127.0.0.1:%(sm_port)d/' % ports
        self.cc_url = 'http://127.0.0.1:%(cc_port)d/' % ports
        self.heat_url = 'http://127.0.0.1:%(heat_port)d' % ports
        self.conf_path = os.path.join(self.state, 'hurtle.conf')
        with open(self.conf_path, 'w') as handle:
            handle.write(CONF_TEMPLATE.format(
                state=self.state, manifests=','.join(self.manifests),
                phase_timeout=self.phase_timeout,
                deployer_heat_url=self.deployer_heat_url or
                'http://127.0.0.1:%(heat_port)d/v1/%%(project)s' % ports,
                watch_interval=self.watch_interval, **ports))
            if self.database_url:
                handle.write('\n[database]\nconnection = %s\n'
                             % self.database_url.replace('%', '%%'))
            if self.keystone:
                handle.write(keystone_hurtle.hurtle_conf(self.keystone,
                                                         heat=True))
            handle.write('\n' + self.extra_conf + '\n')

    def _setUp(self):
        self._write_conf()
        self._start()
        if self.keystone:
            self.members = keystone_hurtle.Members(self.keystone)
            keystone_hurtle.add_catalog(self.keystone, self)

    def _start(self):
        self.output_path = os.path.join(self.state, 'hurtle-all.out')
        self._out = open(self.output_path, 'wb')
        self.addCleanup(self._out.close)
        command = [sys.executable, '-P', '-m', 'hurtle.cmd.all']
        if self.console_script:
            command = [os.path.join(os.path.dirname(sys.executable),
                                    'hurtle-all')]
        self.proc = subprocess.Popen(
            command + ['--config-file', self.conf_path],
            stdout=self._out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, cwd=self.cwd)
        self.addCleanup(self.stop)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if 'Hurtle serves' in self.output():
                return
            if self.proc.poll() is not None:
                raise RuntimeError('hurtle-all exited (%s):\n%s'
                                   % (self.proc.returncode, self.output()))
            time.sleep(0.2)
        raise RuntimeError('hurtle-all did not start:\n%s' % self.output())

    def local_secret(self):
        """The local secret hurtle-all created under ``state``."""
        return local_secret.load_or_create(self.state)

    def cc_headers(self, project='service'):
        """Headers of a direct CC call as the SM makes it: the project and
        the local secret (noauth), or a token of Hurtle's service user
        (Keystone mode: ``project`` must be ``service``)."""
        if self.keystone:
            return self.members.headers(project)
        return {'X-Project-Id': project,
                local_secret.HEADER: self.local_secret()}

    def headers(self, project):
        """Headers of a call to the SM as ``project`` (a name of
        ``keystone_hurtle.MEMBERS``: ``demo``, ``alt_demo``, ``admin``):
        ``X-Project-Id`` (noauth), or ``X-Auth-Token`` of the project's
        member (Keystone mode)."""
        if self.keystone:
            return self.members.headers(project)
        return {'X-Project-Id': project}

    def sm_client(self, project, **kwargs):
        """An OCCI client of the SM with :meth:`headers` of ``project``."""
        return occi_client.OCCIClient(
            self.sm_url, headers=self.headers(project), **kwargs)

    def stack_client(self, project):
        """python-heatclient that sees the stacks of ``project``'s
        instances: as the project's member (Keystone mode), or as
        ``admin`` with the local secret (noauth)."""
        if self.keystone:
            return self.members.heat(project)
        return self.heat_client('admin')

    def cc_client(self, project='service', **kwargs):
        """An OCCI client of the CC with :meth:`cc_headers`."""
        return occi_client.OCCIClient(
            self.cc_url, headers=self.cc_headers(project), **kwargs)

    def heat_client(self, project='admin'):
        """python-heatclient for the embedded Heat, as ``project``, with
        the local secret."""
        return heat_client_mod.heat_client(
            heat_client_mod.endpoint_for(self.heat_url, project),
            project=project, token=self.local_secret())

    def output(self):
        with open(self.output_path, 'rb') as handle:
            return handle.read().decode('utf-8', 'replace')

    def keep_logs(self, name):
        """Copy the logs under ``state`` (``*.log`` and ``*.out``: the
        services', every SO's, hurtle-all's output; no secret, state or
        configuration file) to ``$HURTLE_TEST_ARTIFACTS/<name>/``, keeping
        their relative paths; nothing when the variable is not set.

        Meant for ``testtools.TestCase.addOnException``: the state
        directory is removed once the test's cleanups ran.

        :returns: the directory written, or None.
        """
        root = os.environ.get(ARTIFACTS_ENV)
        if not root:
            return None
        target = os.path.join(root, re.sub(r'[^A-Za-z0-9_.()-]', '_', name))
        for folder, _dirs, files in os.walk(self.state):
            for filename in files:
                if not filename.endswith(('.log', '.out')):
                    continue
                source = os.path.join(folder, filename)
                copy = os.path.join(target,
                                    os.path.relpath(source, self.state))
                os.makedirs(os.path.dirname(copy), exist_ok=True)
                shutil.copyfile(source, copy)
        return target

    def stop(self):
        """SIGTERM hurtle-all; return its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


class HurtleConfig(HurtleAll):
    """Only :class:`HurtleAll`'s state directory, held ports and
    hurtle.conf (``.state``, ``.conf_path``, the URLs): nothing is
    started (a test or benchmark starts the processes itself)."""

    def _start(self):
        pass


class HurtleParts(HurtleAll):
    """Heat, CC and SM as separate processes (see the module docstring);
    ``.sm`` is the (first) SM's ``hurtle.cmd.all.Child``, ``.sms`` all of
    them, ``.sm_urls`` their URLs.

    ``sms``: how many SM processes share the database (SM ``i`` has
    ``[sm] replica_id = hurtle-sm-<i>``); ``sm_conf``: ``[sm]`` options
    given to every SM (in a configuration file of its own, read after
    hurtle.conf).
    """

    def __init__(self, *args, sms=1, sm_conf='', **kwargs):
        super().__init__(*args, **kwargs)
        self.sm_count = sms
        self.sm_conf = sm_conf

    def _start(self):
        conf = types.SimpleNamespace(state_path=self.state,
                                     config_file=[self.conf_path])
        self.children = [
            all_cmd.Child('hurtle-heat', 'hurtle.cmd.heat',
                          self.heat_url + '/', conf),
            all_cmd.Child('hurtle-cc', 'hurtle.cmd.cc',
                          self.cc_url + '-/', conf)]
        self.sms, self.sm_urls = [], []
        for index in range(self.sm_count):
            port = (int(self.sm_url.rstrip('/').rsplit(':', 1)[1])
                    if index == 0 else self.ports.take())
            url = 'http://127.0.0.1:%d/' % port
            path = os.path.join(self.state, 'sm-%d.conf' % index)
            with open(path, 'w') as handle:
                # A stable replica id: a restarted SM takes its own
                # unfinished work back at once (hurtle.sm.leases).
                handle.write('[sm]\nport = %d\nreplica_id = hurtle-sm-%d\n'
                             '%s\n' % (port, index, self.sm_conf))
            self.sms.append(all_cmd.Child(
                'hurtle-sm' if index == 0 else 'hurtle-sm-%d' % index,
                'hurtle.cmd.sm', url + '-/', types.SimpleNamespace(
                    state_path=self.state,
                    config_file=[self.conf_path, path])))
            self.sm_urls.append(url)
        self.children += self.sms
        self.sm = self.sms[0]
        self.addCleanup(self._stop_children)
        for child in self.children:
            child.start()
            child.wait_ready(self.start_timeout)

    def _stop_children(self):
        for child in reversed(self.children):
            child.stop()

    def kill_sm(self, index=0):
        """SIGKILL an SM (by its pid) and reap it."""
        self.sms[index].proc.kill()
        self.sms[index].proc.wait()

    def start_sm(self, index=0):
        """Start an SM again; return once it answers."""
        self.sms[index].start()
        self.sms[index].wait_ready(self.start_timeout)

    def kill_cc(self):
        """SIGKILL the CC (by its pid) and reap it."""
        self.children[1].proc.kill()
        self.children[1].proc.wait()

    def start_cc(self):
        """Start the CC again; return once it answers."""
        self.children[1].start()
        self.children[1].wait_ready(self.start_timeout)

    def output(self):
        return '\n'.join('== %s ==\n%s' % (c.name, c.tail(40))
                         for c in self.children)


def wait_for(case, probe, what, timeout=120, interval=0.2):
    """``probe()``'s first value other than None, polled every
    ``interval`` seconds; fails ``case`` (a test case) after ``timeout``
    seconds."""
    try:
        return polling.poll_until(probe, timeout, interval, what)
    except polling.Timeout as exc:
        case.fail(str(exc))


def settled(client, location):
    """A probe for :func:`wait_for`: the attributes of the instance at
    ``location`` (``client``: the SM's OCCI client) once ``active`` or
    ``failed``, None before."""
    def probe():
        attrs = client.get(location).attributes
        return attrs if attrs['mcn.service.state'] in (
            'active', 'failed') else None
    return probe


def resume(pid):
    """SIGCONT to process ``pid`` (a cleanup of a test that stopped
    it); gone already is fine."""
    try:
        os.kill(pid, signal.SIGCONT)
    except ProcessLookupError:
        pass


def _wait_gone(client, location, timeout):
    """Wait until ``client`` gets 404 for ``location``.

    :raises hurtle.polling.Timeout: still there after ``timeout`` seconds.
    """
    def gone():
        try:
            client.get(location)
        except occi_errors.NotFound:
            return True
        return None
    polling.poll_until(gone, timeout, 0.2, '%s gone' % location)


class HurtleTestCase(testtools.TestCase):
    """The tests of one class share one running Hurtle, ``cls.hurtle``:
    made by :meth:`make_hurtle`, set up before the first test and cleaned
    up after the last.

    ``database = 'postgresql'`` (a class attribute) runs it on a
    throw-away PostgreSQL cluster started for the class (its
    ``database_url``, unless :meth:`make_hurtle` gave one); the class is
    skipped, or fails in CI, where PostgreSQL cannot run
    (``tests.pg_fixture.require``).

    ``auth = 'keystone'`` runs it in Keystone mode against a real Keystone
    started for the class (``cls.keystone``, with Heat's accounts; unless
    :meth:`make_hurtle` gave one); the class is skipped, or fails in CI,
    where Keystone's virtualenv cannot be made
    (``tests.keystone_fixture.require``). Tests written with
    :meth:`headers`, :meth:`sm_client`, :meth:`stack_client` and
    ``hurtle.cc_headers()`` run unchanged in both modes.
    """

    #: ``'sqlite'`` (the fixture's default) or ``'postgresql'``;
    #: ``$HURTLE_TEST_DATABASE`` changes the default of every class.
    database = os.environ.get('HURTLE_TEST_DATABASE') or 'sqlite'
    #: ``'noauth'`` (the fixture's default) or ``'keystone'``;
    #: ``$HURTLE_TEST_AUTH`` changes the default of every class.
    auth = os.environ.get('HURTLE_TEST_AUTH') or 'noauth'

    @classmethod
    def make_hurtle(cls):
        """The fixture to run (default: ``HurtleAll()``)."""
        return HurtleAll()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hurtle = cls.make_hurtle()
        if cls.database == 'postgresql' and not cls.hurtle.database_url:
            pg_fixture.require()
            cluster = pg_fixture.PostgreSQL()
            cluster.setUp()
            cls.addClassCleanup(cluster.cleanUp)
            cls.hurtle.database_url = cluster.url
        if cls.auth == 'keystone' and not cls.hurtle.keystone:
            keystone_fixture.require()
            keystone = keystone_fixture.Keystone(internal_identity=False)
            keystone.setUp()
            cls.addClassCleanup(keystone.cleanUp)
            keystone.add_heat_accounts()
            cls.hurtle.keystone = keystone
        elif cls.auth not in ('noauth', 'keystone'):
            raise ValueError('auth must be noauth or keystone, not %r'
                             % cls.auth)
        cls.keystone = cls.hurtle.keystone
        cls.hurtle.setUp()
        cls.addClassCleanup(cls.hurtle.cleanUp)

    # -- the same test in both modes ------------------------------------------
    def headers(self, project='demo'):
        """See ``HurtleAll.headers``."""
        return self.hurtle.headers(project)

    def sm_client(self, project='demo', **kwargs):
        """See ``HurtleAll.sm_client``."""
        return self.hurtle.sm_client(project, **kwargs)

    def stack_client(self, project='demo'):
        """See ``HurtleAll.stack_client``."""
        return self.hurtle.stack_client(project)

    def wait_settled(self, client, location, timeout=120):
        """The instance at ``location`` once ``active`` or ``failed``."""
        def settled():
            entity = client.get(location)
            state = entity.attributes['mcn.service.state']
            return entity if state in ('active', 'failed') else None
        return polling.poll_until(settled, timeout, 0.2,
                                  '%s settled' % location)

    def delete_and_wait(self, client, location, timeout=120):
        """Delete the instance at ``location`` and wait until its SM
        answers 404."""
        client.delete(location)
        _wait_gone(client, location, timeout)

    def wait_instance_gone(self, location, project='demo', timeout=120):
        """Wait until the SM answers 404 for the instance at
        ``location`` (deleted and disposed of).

        :raises hurtle.polling.Timeout: still there after ``timeout``
            seconds.
        """
        _wait_gone(self.sm_client(project), location, timeout)

    def wait_stacks_gone(self, stacks, project='demo', timeout=30):
        """Wait until none of ``stacks`` (ids or names) is in
        ``project``'s stack listing: Heat may list a deleted stack for a
        moment.

        :raises AssertionError: some are still listed after ``timeout``
            seconds.
        """
        wait_unlisted(self, self.stack_client(project), stacks, timeout)


def wait_unlisted(test, heat, stacks, timeout=30):
    """Wait until none of ``stacks`` (ids or names) is in ``heat``'s
    stack listing (a heatclient ``Client``): an instance is gone once its
    stack is DELETE_COMPLETE, and Heat lists such a stack until it freed
    its name, a moment later.

    :raises AssertionError: (``test.fail``) some are still listed after
        ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        left = set(stacks) & {key for s in heat.stacks.list()
                              for key in (s.id, s.stack_name)}
        if not left:
            return
        if time.monotonic() > deadline:
            test.fail('stacks %s still listed after %d s'
                      % (sorted(left), timeout))
        time.sleep(0.2)
