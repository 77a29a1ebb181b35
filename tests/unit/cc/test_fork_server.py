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
"""The ``local`` runtime's SO fork server (``[cc] so_fork_server``):
real fork server and SO processes. A forked SO is indistinguishable from
a spawned one where the CC and ``ps`` look (environment, command line,
session, files); whatever does not fit, and a dead fork server, fall
back to spawning; the protocol refuses bad and oversized messages; pid
files carry the start time, so a reused pid is never taken for an SO.
"""
import json
import logging
import os
import signal
import socket
import struct
import subprocess
import sys
import time

import fixtures
import testtools

from hurtle.cc.runtime import base
from hurtle.cc.runtime import fork_server
from hurtle.cc.runtime import local
from hurtle.cc.runtime import pid_files
from hurtle import polling
from hurtle import so_fork_protocol as protocol
from hurtle import so_ready
from tests import conf_fixture
from tests import net
from tests import proc_sockets
from tests.unit.cc import test_app_api

SECRET = 'fork-secret-1234'
WAIT = 60


def _proc(pid, name):
    with open('/proc/%d/%s' % (pid, name), 'rb') as handle:
        return handle.read()


def _environ(pid):
    """Process ``pid``'s environment as ``/proc`` shows it (dict)."""
    return dict(item.decode().split('=', 1)
                for item in _proc(pid, 'environ').split(b'\0') if item)


def _cmdline(pid):
    return [a.decode() for a in _proc(pid, 'cmdline').rstrip(b'\0').split(
        b'\0')]


class ForkedSOTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        # Cloud credentials in the CC's environment reach no SO.
        self.useFixture(fixtures.EnvironmentVariable('OS_PASSWORD',
                                                     'cloud-secret'))
        self.conf = self.useFixture(conf_fixture.HurtleConf(
            cc__so_start_timeout=WAIT)).conf
        self.log = self.useFixture(fixtures.FakeLogger(level=logging.DEBUG))
        self.runtime = self.new_runtime()

    def new_runtime(self):
        runtime = local.LocalRuntime(self.conf)
        self.addCleanup(runtime.stop_all)
        return runtime

    def start(self, app_id, runtime=None, **env):
        env.setdefault('HURTLE_SO_SECRET', SECRET)
        env.setdefault('HURTLE_INSTANCE_ID', app_id)
        return (runtime or self.runtime).start(app_id, test_app_api.BUNDLE,
                                               env)

    def expected_env(self, app_id, **env):
        expected = {k: v for k, v in os.environ.items()
                    if not k.startswith('OS_')}
        expected.update(base.so_environment(self.conf, app_id, dict(
            {'HURTLE_SO_SECRET': SECRET, 'HURTLE_INSTANCE_ID': app_id},
            **env)))
        # The readiness notice's descriptor, as a forked SO has it.
        expected[so_ready.ENV] = str(so_ready.FORKED_FD)
        return expected

    def forked(self, ref):
        return isinstance(self.runtime._children[ref['pid']],
                          fork_server.ForkedProcess)

    def test_forked_so_is_what_a_spawned_one_would_be(self):
        url, ref = self.start('fork-1')
        self.assertTrue(self.forked(ref))
        self.assertTrue(net.so_serves(url, SECRET))
        pid = ref['pid']
        self.assertNotEqual(self.runtime.fork_server.pid, pid)
        # Exactly the environment the CC gives a spawned SO: none of the
        # fork server's room, none of the CC's credentials.
        self.assertEqual(self.expected_env('fork-1'), _environ(pid))
        # The command line a spawned SO has, as /proc and ps show it.
        port_file = os.path.join(self.runtime.workdir, 'fork-1.port')
        self.assertEqual(self.runtime._command(test_app_api.BUNDLE,
                                               port_file), _cmdline(pid))
        # A session of its own, the CC's directory, the runtime's log.
        fields = _proc(pid, 'stat').rsplit(b')', 1)[1].split()
        self.assertEqual(pid, int(fields[3]))   # session id
        self.assertEqual(os.getcwd(), os.readlink('/proc/%d/cwd' % pid))
        log = os.path.join(self.runtime.workdir, 'fork-1.log')
        self.assertEqual(['/dev/null', log, log], [
            os.readlink('/proc/%d/fd/%d' % (pid, fd)) for fd in (0, 1, 2)])
        # The pid file and the reference hold the start time.
        self.assertEqual((pid, ref['start']), pid_files.read_record(
            pid_files.path(self.runtime.workdir, 'fork-1')))
        self.assertEqual(ref['start'], pid_files.start_time(pid))
        self.assertTrue(self.runtime.is_running(ref))
        # A second SO has its own environment only (no trace of the
        # first's secret), and the server stays single-threaded.
        _url2, ref2 = self.start('fork-2', HURTLE_SO_SECRET='other')
        self.assertTrue(self.forked(ref2))
        self.assertEqual('other',
                         _environ(ref2['pid'])['HURTLE_SO_SECRET'])
        self.assertEqual(1, len(os.listdir(
            '/proc/%d/task' % self.runtime.fork_server.pid)))
        # Without an app id (references of an older Hurtle) the command
        # line tells an SO, and the fork server is none.
        self.assertTrue(local._is_so(ref2['pid']))
        self.assertFalse(local._is_so(self.runtime.fork_server.pid))
        # ps shows the size of the server's room, not its padding.
        self.assertEqual(['-m', 'hurtle.cmd.so_fork_server', '--fd'],
                         _cmdline(self.runtime.fork_server.pid)[2:5])
        self.assertEqual(['--room', str(fork_server.ARGV_ROOM)],
                         _cmdline(self.runtime.fork_server.pid)[-2:])
        self.runtime.stop(ref)
        self.assertFalse(self.runtime.is_running(ref))
        self.assertFalse(net.so_serves(url, SECRET))
        self.assertNotIn(SECRET, self.log.output)
        self.assertNotIn('cloud-secret', self.log.output)

    def test_ps_shows_the_sos_own_entries_and_proc_pads_with_nul(self):
        # What an operator sees of a forked SO. ps shows its command line
        # and environment only (procps drops the trailing NULs). /proc
        # shows the same entries followed by NUL bytes up to the fork
        # server's room: a process cannot shrink its argv or environment
        # area without CAP_SYS_RESOURCE (prctl PR_SET_MM), so readers
        # that split on NUL must skip empty entries (as _environ and
        # _cmdline here, and the CC's own checks, do).
        url, ref = self.start('ps-1')
        pid = ref['pid']
        port_file = os.path.join(self.runtime.workdir, 'ps-1.port')
        argv = self.runtime._command(test_app_api.BUNDLE, port_file)
        shown = subprocess.run(['ps', '-o', 'args=', '-p', str(pid)],
                               capture_output=True, text=True, check=True)
        self.assertEqual(' '.join(argv), shown.stdout.rstrip('\n'))
        env = self.expected_env('ps-1')
        shown = subprocess.run(['ps', 'e', '-o', 'args=', '-p', str(pid)],
                               capture_output=True, text=True, check=True)
        self.assertEqual(' '.join(argv + ['%s=%s' % i for i in env.items()]),
                         shown.stdout.rstrip('\n'))
        room = self.runtime.fork_server._room
        for name, strings, size in (
                ('cmdline', argv, room['argv']),
                ('environ', ['%s=%s' % i for i in env.items()],
                 room['env'])):
            raw = _proc(pid, name)
            block = b''.join(os.fsencode(s) + b'\0' for s in strings)
            self.assertEqual(size, len(raw), name)
            self.assertEqual(block, raw[:len(block)], name)
            self.assertEqual(b'\0' * (size - len(block)),
                             raw[len(block):], name)

    def test_no_file_of_the_server_or_of_another_so_is_inherited(self):
        _url, ref = self.start('fd-1')
        _url, ref2 = self.start('fd-2')
        server = proc_sockets.socket_inodes(self.runtime.fork_server.pid)
        first = proc_sockets.socket_inodes(ref['pid'])
        second = proc_sockets.socket_inodes(ref2['pid'])
        self.assertEqual(set(), server & (first | second))
        self.assertEqual(set(), first & second)
        for pid in (ref['pid'], ref2['pid']):
            for name in os.listdir('/proc/%d/fd' % pid):
                target = os.readlink('/proc/%d/fd/%s' % (pid, name))
                if int(name) > 2:
                    self.assertTrue(target.startswith('socket:'), target)

    def test_exit_status_of_a_forked_so_that_fails(self):
        bundle = self.useFixture(fixtures.TempDir()).path
        with open(os.path.join(bundle, 'so.py'), 'w') as handle:
            handle.write('raise SystemExit("broken on purpose")\n')
        error = self.assertRaises(base.RuntimeError_, self.runtime.start,
                                  'bad-1', bundle,
                                  {'HURTLE_SO_SECRET': SECRET})
        self.assertIn('exited with code 1 before it answered', str(error))
        self.assertIn('broken on purpose', str(error))
        self.assertIsInstance(error, base.SOExited)
        self.assertEqual({}, self.runtime._children)

    def test_a_forked_so_ends_as_an_exit_would(self):
        # Without the interpreter's teardown (leave), but with what the
        # SO relies on: atexit handlers, output not flushed yet, and its
        # exit status.
        bundle = self.useFixture(fixtures.TempDir()).path
        with open(os.path.join(bundle, 'so.py'), 'w') as handle:
            handle.write(
                'import atexit, sys, threading, time\n'
                'atexit.register(sys.stderr.write, "atexit handler ran\\n")\n'
                'def late():\n'
                '    time.sleep(0.3)\n'
                '    sys.stderr.write("thread ended\\n")\n'
                'threading.Thread(target=late).start()\n'
                'sys.stdout.write("not flushed yet\\n")\n'
                'raise SystemExit(3)\n')
        error = self.assertRaises(base.SOExited, self.runtime.start,
                                  'exit-1', bundle,
                                  {'HURTLE_SO_SECRET': SECRET})
        self.assertIn('exited with code 3 before it answered', str(error))
        with open(os.path.join(self.runtime.workdir, 'exit-1.log')) as log:
            output = log.read()
        for line in ('not flushed yet', 'thread ended',
                     'atexit handler ran'):
            self.assertIn(line, output)
        self.assertLess(output.index('thread ended'),
                        output.index('atexit handler ran'))

    def assertNotified(self, app_id, ref):
        """The SO told the CC it listens (the CC never polled it), and
        holds no pipe afterwards."""
        with open(os.path.join(self.runtime.workdir,
                               '%s.log' % app_id)) as handle:
            self.assertNotIn('GET /-/', handle.read())
        for name in os.listdir('/proc/%d/fd' % ref['pid']):
            target = os.readlink('/proc/%d/fd/%s' % (ref['pid'], name))
            self.assertFalse(target.startswith('pipe:'), target)

    def test_forked_and_spawned_sos_send_the_readiness_notice(self):
        url, ref = self.start('ready-1')
        self.assertTrue(self.forked(ref))
        self.assertNotified('ready-1', ref)
        self.assertEqual(str(so_ready.FORKED_FD),
                         _environ(ref['pid'])[so_ready.ENV])
        self.assertTrue(net.so_serves(url, SECRET))
        self.conf.set_override('so_fork_server', False, group='cc')
        runtime = self.new_runtime()
        url, ref = self.start('ready-2', runtime=runtime)
        self.assertIsInstance(runtime._children[ref['pid']],
                              subprocess.Popen)
        self.assertNotified('ready-2', ref)
        self.assertTrue(net.so_serves(url, SECRET))

    def test_an_so_that_dies_before_it_listens_is_seen_at_once(self):
        bundle = self.useFixture(fixtures.TempDir()).path
        with open(os.path.join(bundle, 'so.py'), 'w') as handle:
            handle.write('import os, signal\n'
                         'os.kill(os.getpid(), signal.SIGKILL)\n')
        for fork in (True, False):
            self.conf.set_override('so_fork_server', fork, group='cc')
            runtime = self.new_runtime()
            started = time.monotonic()
            error = self.assertRaises(base.SOExited, runtime.start,
                                      'dies-1', bundle,
                                      {'HURTLE_SO_SECRET': SECRET})
            # so_start_timeout is WAIT (60 s): the exit ended the wait.
            self.assertLess(time.monotonic() - started, 10)
            self.assertIn('killed by SIGKILL before it answered',
                          str(error))
            self.assertIn('dies-1.log', str(error))
            self.assertEqual({}, runtime._children)
            self.assertEqual([], os.listdir(runtime.workdir) and [
                n for n in os.listdir(runtime.workdir)
                if n.endswith(('.pid', '.port'))])

    def assertSpawned(self, ref, reason):
        self.assertIsInstance(self.runtime._children[ref['pid']],
                              subprocess.Popen)
        self.assertIn('spawned, not forked: %s' % reason, self.log.output)

    def test_start_variables_other_than_the_servers_are_spawned(self):
        self.start('first-1')    # the fork server runs
        _url, ref = self.start('py-1', PYTHONOPTIMIZE='2')
        self.assertSpawned(ref, 'its environment has PYTHON*/LD_*')
        self.assertEqual('2', _environ(ref['pid'])['PYTHONOPTIMIZE'])

    def test_an_environment_larger_than_the_room_is_spawned(self):
        big = 'b' * (fork_server.ENV_ROOM + 1000)
        _url, ref = self.start('big-1', HURTLE_BIG=big)
        self.assertSpawned(ref, 'its environment (')
        self.assertEqual(big, _environ(ref['pid'])['HURTLE_BIG'])

    def test_bundle_json_sos_are_spawned(self):
        bundle = self.useFixture(fixtures.TempDir()).path
        with open(os.path.join(bundle, 'server.py'), 'w') as handle:
            from tests.unit.cc import test_command_bundle
            handle.write(test_command_bundle.SERVER)
        with open(os.path.join(bundle, 'bundle.json'), 'w') as handle:
            json.dump({'command': [sys.executable, 'server.py']}, handle)
        _url, ref = self.runtime.start('cmd-1', bundle,
                                       {'HURTLE_SO_SECRET': SECRET})
        self.assertIsInstance(self.runtime._children[ref['pid']],
                              subprocess.Popen)
        self.assertIn('runs its bundle.json', self.log.output)
        self.assertIsNone(self.runtime.fork_server.pid)

    def test_prepare_starts_the_server_the_first_so_is_forked_from(self):
        self.assertIsNone(self.runtime.fork_server.pid)
        self.runtime.prepare()
        server = self.runtime.fork_server.pid
        self.assertIsNotNone(server)
        self.assertIn('hurtle.cmd.so_fork_server', _cmdline(server))
        # Once is enough: a second prepare keeps it.
        self.runtime.prepare()
        self.assertEqual(server, self.runtime.fork_server.pid)
        _url, ref = self.start('prepared-1')
        self.assertTrue(self.forked(ref))
        self.assertEqual(server, self.runtime.fork_server.pid)

    def test_prepare_that_fails_logs_why_and_the_so_is_spawned(self):
        self.useFixture(fixtures.MonkeyPatch(
            'hurtle.cc.runtime.fork_server.ForkServer._spawn',
            lambda server: (_ for _ in ()).throw(OSError('no room'))))
        self.assertIsNone(self.runtime.prepare())
        self.assertIn('SO fork server not started: the fork server did '
                      'not start: no room', self.log.output)
        self.assertIsNone(self.runtime.fork_server.pid)
        _url, ref = self.start('unprepared-1')
        self.assertSpawned(ref, 'the fork server failed less than')

    def test_prepare_without_the_fork_server_does_nothing(self):
        self.conf.set_override('so_fork_server', False, group='cc')
        runtime = self.new_runtime()
        self.assertIsNone(runtime.prepare())
        self.assertIsNone(runtime.fork_server)

    def test_option_off_spawns_every_so(self):
        self.conf.set_override('so_fork_server', False, group='cc')
        runtime = self.new_runtime()
        _url, ref = self.start('off-1', runtime=runtime)
        self.assertIsNone(runtime.fork_server)
        self.assertIsInstance(runtime._children[ref['pid']],
                              subprocess.Popen)
        self.assertEqual((ref['pid'], ref['start']), pid_files.read_record(
            pid_files.path(runtime.workdir, 'off-1')))

    def test_killed_fork_server_leaves_its_sos_and_is_replaced(self):
        url, ref = self.start('kill-1')
        server = self.runtime.fork_server.pid
        os.kill(server, signal.SIGKILL)
        # Dead before the next start (under load the signal may take a
        # moment: the start would then meet a reset connection, another
        # reason to spawn). The CC reaps it (its child); the SO runs on.
        polling.poll_until(
            lambda: self.runtime.fork_server._proc.poll() is not None or None,
            10, 0.02, 'the fork server dead')
        self.assertTrue(net.so_serves(url, SECRET))
        self.assertTrue(self.runtime.is_running(ref))
        # Within RESTART_INTERVAL of the last start: spawned.
        _url, spawned = self.start('kill-2')
        self.assertSpawned(spawned, 'the fork server failed less than')
        self.assertIn('SO fork server %d exited with code -9' % server,
                      self.log.output)
        self.assertTrue(net.so_serves(url, SECRET))
        # Later, a new fork server.
        self.useFixture(fixtures.MonkeyPatch(
            'hurtle.cc.runtime.fork_server.RESTART_INTERVAL', 0))
        _url, again = self.start('kill-3')
        self.assertTrue(self.forked(again))
        self.assertNotEqual(server, self.runtime.fork_server.pid)
        # The first SO, whose server is gone, stops as any other.
        self.runtime.stop(ref)
        self.assertFalse(net.so_serves(url, SECRET))
        self.assertFalse(pid_files.alive(ref['pid'], ref['start']))

    def test_a_fork_server_that_does_not_answer_is_replaced(self):
        self.start('stop-1')
        server = self.runtime.fork_server._proc
        self.useFixture(fixtures.MonkeyPatch(
            'hurtle.cc.runtime.fork_server.TIMEOUT', 0.5))
        os.kill(server.pid, signal.SIGSTOP)
        self.addCleanup(server.kill)   # a no-op once it was reaped
        _url, ref = self.start('stop-2')
        self.assertSpawned(ref, 'the fork server did not answer')
        # Stopped (SIGKILL once it did not end within 5 s) and reaped.
        self.assertIsNotNone(server.returncode)
        self.assertIsNone(self.runtime.fork_server.pid)

    def test_a_restarted_cc_adopts_forked_sos(self):
        url, ref = self.start('adopt-1')
        server = self.runtime.fork_server.pid
        # The CC dies: its end of the socketpair closes, the server ends,
        # the SO runs on (and is adopted by the next CC).
        self.runtime.fork_server._sock.close()
        self.runtime.fork_server._sock = None
        self.assertEqual(0, self.runtime.fork_server._proc.wait(WAIT))
        self.assertFalse(pid_files.alive(server))
        later = self.new_runtime()
        later.reconcile({'adopt-1': ref})
        self.assertTrue(later.is_running(ref))
        self.assertTrue(net.so_serves(url, SECRET))
        later.stop_all()
        self.assertFalse(net.so_serves(url, SECRET))

    def test_a_reused_pid_is_never_taken_for_an_so(self):
        # A process that has the SO's environment, started later than
        # the pid file says: not the SO, never signalled.
        posing = subprocess.Popen(['sleep', '300'], env=dict(
            os.environ, HURTLE_APP_ID='ghost-1'))
        self.addCleanup(posing.wait)
        self.addCleanup(posing.kill)
        polling.poll_until(
            lambda: pid_files.has_env(posing.pid, 'HURTLE_APP_ID',
                                      'ghost-1') or None, WAIT, 0.01,
            'exec of sleep')
        start = pid_files.start_time(posing.pid)
        ref = {'pid': posing.pid, 'app': 'ghost-1', 'start': start - 1}
        self.assertFalse(self.runtime.is_running(ref))
        self.assertTrue(self.runtime.is_running(dict(ref, start=start)))
        os.makedirs(self.runtime.workdir, exist_ok=True)
        pid_files.write(self.runtime.workdir, 'ghost-1', posing.pid,
                        start - 1)
        self.new_runtime().reconcile({})
        self.assertIsNone(posing.poll())
        self.assertEqual([], pid_files.records(self.runtime.workdir))
        # The same with the right start time: an orphan, stopped.
        pid_files.write(self.runtime.workdir, 'ghost-1', posing.pid)
        self.assertEqual([('ghost-1', posing.pid, start)],
                         pid_files.records(self.runtime.workdir))
        self.new_runtime().reconcile({})
        self.assertEqual(-signal.SIGTERM, posing.wait(WAIT))

    def test_pid_files_of_an_older_hurtle_are_read(self):
        os.makedirs(self.runtime.workdir, exist_ok=True)
        path = pid_files.path(self.runtime.workdir, 'old-1')
        for text, record in (('123\n', (123, None)),
                             ('123 456\n', (123, 456)),
                             ('123 456 7\n', (None, None)),
                             ('-1 4\n', (None, None)),
                             ('0\n', (None, None))):
            with open(path, 'w') as handle:
                handle.write(text)
            self.assertEqual(record, pid_files.read_record(path), text)


class ProtocolTest(testtools.TestCase):
    """The fork server itself, driven over its socketpair."""

    def setUp(self):
        super().setUp()
        self.sock, theirs = socket.socketpair()
        self.addCleanup(self.sock.close)
        self.server = subprocess.Popen(
            [local.python_executable(), '-P', '-m',
             'hurtle.cmd.so_fork_server', '--fd', str(theirs.fileno())],
            pass_fds=(theirs.fileno(),), stderr=subprocess.PIPE)
        theirs.close()
        self.addCleanup(self.server.wait)
        self.addCleanup(self.server.kill)
        self.sock.settimeout(WAIT)

    def call(self, message):
        protocol.send(self.sock, message)
        return protocol.receive(self.sock)

    def assertEnds(self):
        self.assertIsNone(protocol.receive(self.sock))
        self.assertEqual(0, self.server.wait(WAIT))
        return self.server.stderr.read().decode()

    def test_ping_and_refusals(self):
        reply = self.call({'op': 'ping'})
        self.assertEqual(self.server.pid, reply['pid'])
        self.assertEqual({'argv', 'env'}, set(reply['room']))
        python = local.python_executable()
        good = {'op': 'start', 'argv': [python, '-P', '-m',
                                        'hurtle.cmd.so'],
                'env': {}, 'cwd': '/', 'umask': 0o22, 'log': '/dev/null'}
        for change, error in (
                ({'op': 'fork'}, 'unknown op'),
                ({'argv': ['/bin/sh', '-c', 'id', 'x']}, 'must run'),
                ({'argv': 'python'}, 'argv must be a list'),
                ({'argv': [python, '-P', '-m', 'hurtle.cmd.so', 'a\0b']},
                 'argv must be a list'),
                ({'env': {'A=B': 'c'}}, 'env must map'),
                ({'env': {'A': 1}}, 'env must map'),
                ({'cwd': 'relative'}, 'cwd must be an absolute path'),
                ({'log': None}, 'log must be an absolute path'),
                ({'umask': 0o1000}, 'umask must be'),
                ({'umask': True}, 'umask must be'),
                ({'argv': ['/usr/bin/python9', '-P', '-m',
                           'hurtle.cmd.so']}, 'is not this server'),
                ({'env': {'A': 'x' * (reply['room']['env'] + 1)}},
                 'does not fit'),
                ({'argv': [python, '-P', '-m', 'hurtle.cmd.so',
                           'x' * reply['room']['argv']]}, 'does not fit')):
            answer = self.call(dict(good, **change))
            self.assertFalse(answer['ok'], change)
            self.assertIn(error, answer['error'])
        self.assertEqual({'ok': False, 'error': 'pid must be an int'},
                         self.call({'op': 'exit', 'pid': '1'}))
        self.assertEqual({'ok': True, 'code': None},
                         self.call({'op': 'exit', 'pid': os.getpid()}))
        self.sock.shutdown(socket.SHUT_WR)
        self.assertEnds()

    def good_start(self, **change):
        return dict({'op': 'start', 'argv': [
            local.python_executable(), '-P', '-m', 'hurtle.cmd.so'],
            'env': {}, 'cwd': '/', 'umask': 0o22, 'log': '/dev/null'},
            **change)

    def test_a_refused_start_closes_its_descriptor(self):
        read_fd, write_fd = os.pipe()
        self.addCleanup(os.close, read_fd)
        protocol.send(self.sock, self.good_start(ready=True, umask=-1))
        protocol.send_fd(self.sock, write_fd)
        os.close(write_fd)
        answer = protocol.receive(self.sock)
        self.assertIn('umask must be', answer['error'])
        # Nobody holds the write end any more: end of file.
        self.assertEqual(b'', os.read(read_fd, 1))
        self.assertTrue(self.call({'op': 'ping'})['ok'])

    def test_ready_without_a_descriptor_ends_the_server(self):
        protocol.send(self.sock, self.good_start(ready=True))
        self.sock.sendall(protocol.FD_BYTE)
        self.assertIn('followed by one descriptor', self.assertEnds())

    def test_oversized_message_ends_the_server(self):
        self.assertTrue(self.call({'op': 'ping'})['ok'])
        self.sock.sendall(struct.pack('>I', protocol.MAX_MESSAGE + 1))
        self.assertIn('longer than', self.assertEnds())

    def test_message_not_json_ends_the_server(self):
        self.sock.sendall(struct.pack('>I', 3) + b'\xff{[')
        self.assertIn('not UTF-8 JSON', self.assertEnds())

    def test_message_not_an_object_ends_the_server(self):
        self.sock.sendall(struct.pack('>I', 2) + b'[]')
        self.assertIn('not a JSON object', self.assertEnds())

    def test_truncated_message_ends_the_server(self):
        self.sock.sendall(struct.pack('>I', 10) + b'{}')
        self.sock.shutdown(socket.SHUT_WR)
        self.assertIn('truncated', self.assertEnds())

    def test_too_long_a_message_is_never_sent(self):
        self.assertRaises(protocol.ProtocolError, protocol.encode,
                          {'x': 'y' * protocol.MAX_MESSAGE})
