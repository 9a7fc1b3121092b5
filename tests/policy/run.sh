#!/bin/bash
# run.sh - `safeguard-milter -n` as a mail admin meets it: each misleading
# policy is refused (exit 2) with file:line:col and plain words, each
# doubtful one loads with a warning, and a good one loads (exit 0).
# The loader's unit tests cover the same checks one by one; this proves the
# command an admin types says them. Last line: "N passed, M failed".
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top_builddir=$(cd "${top_builddir:-$here/../..}" && pwd)
milter=${SG_MILTER:-$top_builddir/milter/safeguard-milter}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sg-policy.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

head='school:
  name: Test Academy
  staff_domains: [test.sch.uk]
'
rule='rules:
  - id: r1
    category: offensive
    action: reject
    cite: "Test 1"
    match: {phrases: [abc]}
'

# case NAME WANT-RC PATTERN: checks $tmp/NAME.yaml (written by the caller).
case_() {
    local name=$1 want=$2 pattern=$3 out rc
    out=$("$milter" -n -c "$tmp/$name.yaml" 2>&1)
    rc=$?
    if [ "$rc" = "$want" ] && grep -qE -- "$pattern" <<<"$out"; then
        echo "PASS $name"
        passed=$((passed + 1))
    else
        echo "FAIL $name (exit $rc, want $want; want output matching: $pattern)"
        sed 's/^/    | /' <<<"$out"
        failed=$((failed + 1))
    fi
}
write() { printf '%s' "$2" >"$tmp/$1.yaml"; }

write good "$head$rule"
case_ good 0 "policy OK, 1 rules"

write empty-match "${head}rules:
  - id: r1
    category: offensive
    action: reject
    cite: x
    match: {}
"
case_ empty-match 2 "empty-match.yaml:9:[0-9]+: match: is empty"

write empty-to "${head}rules:
  - id: r1
    category: offensive
    action: reject
    cite: x
    to: []
    match: {phrases: [abc]}
"
case_ empty-to 2 "empty-to.yaml:9:[0-9]+: to: is empty"

write header-from "${head}actions:
  header: From
$rule"
case_ header-from 2 'header-from.yaml:5:[0-9]+: header "From" is a standard message header'

write header-invalid "${head}actions:
  header: \"X Safeguard: verdict\"
$rule"
case_ header-invalid 2 'header-invalid.yaml:5:[0-9]+: .*(field name|header name)'

write two-documents "$head$rule---
school: {}
"
case_ two-documents 2 "two-documents.yaml:10:1: a second YAML document"

write domain-forms "school:
  name: Test Academy
  staff_domains: ['@test.sch.uk', 'Test2.sch.uk.']
$rule"
case_ domain-forms 0 "domain-forms.yaml:3:[0-9]+: warning: domain @test.sch.uk read as test.sch.uk"

write timezone-gmt "${head}  timezone: GMT
$rule"
case_ timezone-gmt 0 "timezone-gmt.yaml:4:[0-9]+: warning: time zone GMT has no daylight saving"

write on-limit-accept "${head}limits:
  on_limit: accept
$rule"
case_ on-limit-accept 0 "on-limit-accept.yaml:5:[0-9]+: warning: on_limit: accept lets mail that hits a limit pass unscreened"

write unknown-key "${head}  colour: blue
$rule"
case_ unknown-key 2 'unknown-key.yaml:4:3: unknown key "colour" in school \(valid keys: name, staff_domains'

write duplicate-key "${head}  name: Other
$rule"
case_ duplicate-key 2 'duplicate-key.yaml:4:3: duplicate key "name"'

write duplicate-school "${head}schools:
  - {id: north, name: North}
  - {id: north, name: North again}
$rule"
case_ duplicate-school 2 'duplicate-school.yaml:6:[0-9]+: .*duplicate.*north'

# Directory CSVs: a column mapped but absent, a School nobody declared, an
# unbalanced quote; errors name the CSV's file:line and never a row's data.
printf 'Forename,Surname,Email,School\nAmy,Pupil,amy@pupils.test.sch.uk,north\n' >"$tmp/pupils.csv"
write column-missing "${head}  pupil_domains: [pupils.test.sch.uk]
directory:
  pupils: pupils.csv
  columns:
    pupils: {upn: Pupil Number}
$rule"
case_ column-missing 2 'column-missing.yaml:8:[0-9]+: column "Pupil Number" is not in the header of .*pupils.csv'

write school-unknown "${head}  pupil_domains: [pupils.test.sch.uk]
schools:
  - {id: south, name: South}
directory:
  pupils: pupils.csv
$rule"
case_ school-unknown 2 'pupils.csv:2: .*School.*north'

printf 'Forename,Surname,Email\nAmy,"Pupil,amy@pupils.test.sch.uk\nBen,Learner,ben@pupils.test.sch.uk\n' >"$tmp/quote.csv"
write unbalanced-quote "${head}  pupil_domains: [pupils.test.sch.uk]
directory:
  pupils: quote.csv
$rule"
case_ unbalanced-quote 2 'quote.csv:2: .*quote'
out=$("$milter" -n -c "$tmp/unbalanced-quote.yaml" 2>&1)
if grep -q "Amy\|Learner" <<<"$out"; then
    echo "FAIL csv-errors-name-no-one (a row's contents in the output)"; failed=$((failed + 1))
else
    echo "PASS csv-errors-name-no-one"; passed=$((passed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
