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
"""The source tree keeps the shape doc/source/contributor/architecture.rst
describes: one package per running process, shared libraries beside them,
no import cycle, every file under the Apache License header."""
import ast
import os

import testtools

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
HURTLE = os.path.join(ROOT, 'hurtle')

#: Packages of one running process each.
PROCESSES = {'sm', 'cc', 'so', 'heat', 'heat_plugins'}
#: Entry points: they start a process and may import it.
ENTRY_POINTS = {'cmd', 'wsgi'}


def _modules():
    """``{dotted name: path}`` of every module under hurtle/."""
    found = {}
    for dirpath, _dirs, files in os.walk(HURTLE):
        for name in files:
            if not name.endswith('.py'):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, ROOT)[:-3].split(os.sep)
            if rel[-1] == '__init__':
                rel = rel[:-1]
            found['.'.join(rel)] = path
    return found


def _imports(module, path, known):
    """Hurtle modules that ``module`` imports (anywhere in the file)."""
    tree = ast.parse(open(path, encoding='utf-8').read(), path)
    package = module if path.endswith('__init__.py') else \
        module.rpartition('.')[0]
    result = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                parts = package.split('.')[:len(package.split('.')) -
                                           node.level + 1]
                base = '.'.join(parts + ([base] if base else []))
            # ``from package import module`` imports the module; ``from
            # module import name`` the module.
            names = ['%s.%s' % (base, alias.name)
                     if '%s.%s' % (base, alias.name) in known else base
                     for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition('.')[0]
            if name and name != module and name.startswith('hurtle'):
                result.add(name)
    return result


def _top(module):
    parts = module.split('.')
    return parts[1] if len(parts) > 1 else ''


class LayoutTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.modules = _modules()
        self.graph = {m: _imports(m, p, self.modules)
                      for m, p in self.modules.items()}

    def test_every_process_has_its_package(self):
        for package in PROCESSES | ENTRY_POINTS:
            self.assertIn('hurtle.' + package, self.modules)

    def test_processes_import_only_themselves_and_shared_libraries(self):
        wrong = []
        for module, imported in sorted(self.graph.items()):
            own = _top(module)
            if own in ENTRY_POINTS:
                continue
            for name in sorted(imported):
                other = _top(name)
                if other in ENTRY_POINTS or (
                        other in PROCESSES and other != own):
                    wrong.append('%s imports %s' % (module, name))
        self.assertEqual([], wrong)

    def test_no_import_cycle(self):
        # Tarjan's strongly connected components, iteratively.
        index, low, on_stack, stack, cycles = {}, {}, set(), [], []
        counter = [0]

        def visit(root):
            work = [(root, iter(sorted(self.graph[root])))]
            index[root] = low[root] = counter[0]
            counter[0] += 1
            stack.append(root)
            on_stack.add(root)
            while work:
                node, children = work[-1]
                child = next(children, None)
                if child is not None:
                    if child not in index:
                        index[child] = low[child] = counter[0]
                        counter[0] += 1
                        stack.append(child)
                        on_stack.add(child)
                        work.append((child, iter(sorted(self.graph[child]))))
                    elif child in on_stack:
                        low[node] = min(low[node], index[child])
                    continue
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        cycles.append(sorted(component))

        for module in sorted(self.graph):
            if module not in index:
                visit(module)
        self.assertEqual([], cycles)

    def test_every_source_file_carries_the_license_header(self):
        missing = []
        for top in ('hurtle', 'tests', 'benchmarks'):
            for dirpath, _dirs, files in os.walk(os.path.join(ROOT, top)):
                for name in files:
                    path = os.path.join(dirpath, name)
                    if not name.endswith('.py') or not os.path.getsize(path):
                        continue
                    with open(path, encoding='utf-8') as source:
                        head = source.read(2000)
                    if 'Licensed under the Apache License' not in head:
                        missing.append(os.path.relpath(path, ROOT))
        self.assertEqual([], missing)
