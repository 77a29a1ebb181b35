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
"""Keeping ``[DEFAULT] state_path`` private (doc/source/contributor/
security.rst).

``state_path`` holds the databases (SO secrets among their rows), the
local secret, the encryption key, logs and port files. Every Hurtle
process calls :func:`secure` at start-up: from then on it creates files
0600 and directories 0700 (umask 077), and an existing state tree created
by an older Hurtle (or with a looser umask) is tightened to the same
modes.
"""
import logging
import os
import stat
import tempfile

LOG = logging.getLogger(__name__)

#: Permission bits removed from everything under ``state_path``.
PRIVATE_MASK = 0o077


def secure(state_path):
    """Set the umask to 077, create ``state_path`` (0700) if missing and
    remove group/other permissions from it and everything under it.

    Entries that are not this user's, or that vanish meanwhile, are left
    alone (a warning is logged for the former).

    :param state_path: absolute directory path.
    :raises OSError: ``state_path`` cannot be created.
    """
    os.umask(PRIVATE_MASK)
    os.makedirs(state_path, mode=0o700, exist_ok=True)
    _tighten(state_path)
    for root, dirs, files in os.walk(state_path):
        for name in dirs + files:
            _tighten(os.path.join(root, name))


def _tighten(path):
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode) or not info.st_mode & PRIVATE_MASK:
        return
    if info.st_uid != os.getuid():
        LOG.warning('%s is not ours and open to others: fix its mode', path)
        return
    try:
        os.chmod(path, stat.S_IMODE(info.st_mode) & ~PRIVATE_MASK)
    except OSError as exc:
        LOG.warning('cannot restrict the mode of %s: %s', path, exc)


def read_or_create(path, generate):
    """Return the content (str, stripped) of the private file ``path``,
    creating it first with ``generate()`` (a str) if it does not exist.

    The new content is written to a private temporary file (0600) in the
    same directory (created 0700 if missing) and linked into place, so a
    concurrent caller sees either no file or the complete one; the loser
    of a race returns the winner's content.

    :raises OSError: the file cannot be read or created.
    :raises ValueError: the file exists but is empty.
    """
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path),
                               dir=directory)
    try:
        with os.fdopen(fd, 'w', encoding='ascii') as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(generate() + '\n')
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process won the race: use its content
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass
    return _read(path)


def write_private(path, text):
    """Replace the file ``path`` with ``text`` (str) atomically: written to
    a private temporary file (0600) in the same directory, then renamed
    into place, so a reader sees the old content or the new, whole.

    :raises OSError: the file cannot be written (nothing is left behind).
    """
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path),
                               dir=directory)
    try:
        with os.fdopen(fd, 'w') as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _read(path):
    with open(path, encoding='ascii') as handle:
        value = handle.read().strip()
    if not value:
        raise ValueError('%s is empty; remove it to generate a new one'
                         % path)
    return value
