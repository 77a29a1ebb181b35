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

# iniset/iniget of tests/unit/devstack/stubs.sh: devstack's ini editing
# without crudini. Arguments come from the environment (INI_CMD set|get,
# INI_S section, INI_O option, INI_V value) so no escape is interpreted.
# set: replace the first uncommented "option = ..." line of the section,
# else insert the option right after the section header, else append the
# section; comments and order are kept. get: print that line's value.
function header(line) { return line ~ /^[ \t]*\[[^]]+\][ \t]*$/ }
function option_at(line,    t) {
    t = line
    sub(/^[ \t]+/, "", t)
    if (index(t, ENVIRON["INI_O"]) != 1) return 0
    t = substr(t, length(ENVIRON["INI_O"]) + 1)
    sub(/^[ \t]+/, "", t)
    return substr(t, 1, 1) == "="
}
{ lines[NR] = $0 }
END {
    cur = ""; hdr = 0; found = 0
    for (i = 1; i <= NR; i++) {
        if (header(lines[i])) {
            cur = lines[i]
            gsub(/^[ \t]*\[|\][ \t]*$/, "", cur)
            if (cur == ENVIRON["INI_S"] && !hdr) hdr = i
        } else if (cur == ENVIRON["INI_S"] && !found && option_at(lines[i])) {
            found = i
        }
    }
    if (ENVIRON["INI_CMD"] == "get") {
        if (found) {
            v = lines[found]
            sub(/^[^=]*=[ \t]*/, "", v)
            sub(/[ \t]+$/, "", v)
            print v
        }
        exit
    }
    entry = ENVIRON["INI_O"] " = " ENVIRON["INI_V"]
    for (i = 1; i <= NR; i++) {
        if (i == found) { print entry; continue }
        print lines[i]
        if (i == hdr && !found) print entry
    }
    if (!hdr) {
        if (NR && lines[NR] != "") print ""
        print "[" ENVIRON["INI_S"] "]"
        print entry
    }
}