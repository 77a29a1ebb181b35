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

# The ini editing of tests/unit/devstack/stubs.sh, with the semantics of
# devstack's inc/ini-config. Arguments come from the environment (INI_CMD
# set|get|comment|has|multiget|multiset, INI_S section, INI_O option,
# INI_V value) so that no escape is interpreted. As devstack's:
# - a section starts at a line beginning with "[section]" and runs to the
#   next line beginning with "[";
# - an option is a line beginning with "option", blanks, "=" (no
#   indentation; a commented "#option" is not the option);
# - set: replace the value of every such line of the section; without
#   one, insert "option = value" after each "[section]" line; without the
#   section, append a blank line and "[section]" first;
# - get: print every such line of the section (the caller strips up to
#   the first "=" and squeezes blanks, as devstack's iniget does);
# - comment: put "#" before every such line of the section;
# - has: exit 0 if there is such a line, else 1;
# - multiget: print the value of every such line of the section;
# - multiset: remove every such line of the section, then insert one
#   "option = value" line per blank-separated word of INI_V, in order,
#   after each "[section]" line (appending the section if there is none).
function header(line) { return line ~ /^\[.*\]/ }
function this_header(line) {
    return substr(line, 1, length(ENVIRON["INI_S"]) + 2) == \
        "[" ENVIRON["INI_S"] "]"
}
function option_at(line,    t) {
    if (index(line, ENVIRON["INI_O"]) != 1) return 0
    t = substr(line, length(ENVIRON["INI_O"]) + 1)
    sub(/^[ \t]*/, "", t)
    return substr(t, 1, 1) == "="
}
function replace_value(line,    head, t) {
    head = ENVIRON["INI_O"]
    t = substr(line, length(head) + 1)
    match(t, /^[ \t]*=[ \t]*/)
    return head substr(t, 1, RLENGTH) ENVIRON["INI_V"]
}
function print_values(    j) {
    for (j = 1; j <= n; j++) print ENVIRON["INI_O"] " = " values[j]
}
{ lines[NR] = $0 }
END {
    cmd = ENVIRON["INI_CMD"]
    inside = 0; has_header = 0; found = 0
    for (i = 1; i <= NR; i++) {
        if (this_header(lines[i])) { inside = 1; has_header = 1; continue }
        if (header(lines[i])) { inside = 0; continue }
        in_section[i] = inside
        if (inside && option_at(lines[i])) { match_at[i] = 1; found = 1 }
    }
    if (cmd == "has") exit(found ? 0 : 1)
    if (cmd == "get") {
        for (i = 1; i <= NR; i++) if (match_at[i]) print lines[i]
        exit 0
    }
    if (cmd == "multiget") {
        for (i = 1; i <= NR; i++) if (match_at[i]) {
            v = substr(lines[i], length(ENVIRON["INI_O"]) + 1)
            sub(/^[ \t]*=[ \t]*/, "", v)
            print v
        }
        exit 0
    }
    if (cmd == "multiset") {
        n = split(ENVIRON["INI_V"], values, " ")
        for (i = 1; i <= NR; i++) {
            if (match_at[i]) continue
            print lines[i]
            if (this_header(lines[i])) print_values()
        }
        if (!has_header) {
            print ""
            print "[" ENVIRON["INI_S"] "]"
            print_values()
        }
        exit 0
    }
    entry = ENVIRON["INI_O"] " = " ENVIRON["INI_V"]
    for (i = 1; i <= NR; i++) {
        if (match_at[i] && cmd == "comment") print "#" lines[i]
        else if (match_at[i] && cmd == "set") print replace_value(lines[i])
        else print lines[i]
        if (cmd == "set" && !found && this_header(lines[i])) print entry
    }
    if (cmd == "set" && !has_header) {
        print ""
        print "[" ENVIRON["INI_S"] "]"
        print entry
    }
}
