-- t-base64: offensive language hidden in a base64 body
-- (Content-Transfer-Encoding: base64) is decoded and still refused with
-- the same multi-line 550 5.7.1 reply as t-reject.
--
-- mt.eom_check(conn, MT_SMTPREPLY, code, xcode, text) compares
-- code.." "..xcode.." "..text with the whole reply string, so for a
-- multi-line reply ("550-5.7.1 a\r\n550-5.7.1 b\r\n550 5.7.1 c") the
-- earlier lines travel in the code argument.  The last line quotes the
-- random event id, which is read from the milter's log line for this
-- queue id.
--
-- Needs SG_SOCKET (path of the milter's unix socket) and SG_LOG (the
-- milter's stderr, run with -e).  SG_QID (queue id sent in the "i" macro,
-- letters and digits) is optional.

local name = "t-base64"
local function fail(msg)
	io.stderr:write(name .. ": " .. msg .. "\n")
	error(msg, 0)
end
local function ok(err, what)		-- mt.* calls return nil on success
	if err ~= nil then
		fail(what .. " failed: " .. tostring(err))
	end
end

local sock = os.getenv("SG_SOCKET") or fail("SG_SOCKET is not set")
local log = os.getenv("SG_LOG") or fail("SG_LOG is not set")
local qid = os.getenv("SG_QID") or "MTBASE64"
local hdr = "X-Safeguard-Verdict"

-- The event id the milter logged for this queue id (last one wins).
local function logged_event(action)
	local f = io.open(log, "r") or fail("cannot read " .. log)
	local pat = ": " .. qid:gsub("%W", "%%%0") .. ": event=(sg%-%x+) action=" .. action .. " "
	local event
	for line in f:lines() do
		event = line:match(pat) or event
	end
	f:close()
	return event or fail("no action=" .. action .. " log line for " .. qid .. " in " .. log)
end

mt.echo("*** " .. name .. ": offensive language in a base64 body is rejected")

local conn = mt.connect("unix:" .. sock, 40, 0.25)
if conn == nil then
	fail("mt.connect(unix:" .. sock .. ") failed")
end

ok(mt.conninfo(conn, "mail.northfield.sch.uk", "192.0.2.25"), "mt.conninfo")
ok(mt.macro(conn, SMFIC_MAIL, "i", qid, "{auth_authen}", "teacher"), "mt.macro")
ok(mt.mailfrom(conn, "<t@northfield.sch.uk>"), "mt.mailfrom")
ok(mt.rcptto(conn, "<x@example.com>"), "mt.rcptto")
ok(mt.header(conn, "From", "T Teacher <t@northfield.sch.uk>"), "mt.header(From)")
ok(mt.header(conn, "To", "<x@example.com>"), "mt.header(To)")
ok(mt.header(conn, "Subject", "Timetable"), "mt.header(Subject)")
ok(mt.header(conn, "Message-ID", "<t-base64@northfield.sch.uk>"), "mt.header(Message-ID)")
ok(mt.header(conn, "MIME-Version", "1.0"), "mt.header(MIME-Version)")
ok(mt.header(conn, "Content-Type", "text/plain; charset=utf-8"), "mt.header(Content-Type)")
ok(mt.header(conn, "Content-Transfer-Encoding", "base64"), "mt.header(Content-Transfer-Encoding)")
-- "Hi,\r\nwhat the fuck happened with the timetable?\r\n"
ok(mt.bodystring(conn, "SGksDQp3aGF0IHRoZSBmdWNrIGhhcHBlbmVkIHdpdGggdGhlIHRpbWV0YWJsZT8NCg==\r\n"),
   "mt.bodystring")
ok(mt.eom(conn), "mt.eom")

local r = mt.getreply(conn)
if r ~= SMFIR_REPLYCODE then
	fail(string.format("eom reply '%c', expected SMFIR_REPLYCODE", r))
end

local event = logged_event("reject")
local lines = {
	"Your message was not sent: it breaks the Northfield Academy staff communications policy.",
	"Rule offensive-language (offensive): Offensive language is not acceptable in school email.",
	"Policy: LiFE MAT, Social Media Policy: must not use any offensive, obscene, derogatory or discriminatory language",
	"If you think this is wrong, or the message is needed, please contact the Designated Safeguarding Lead (dsl@northfield.sch.uk) and quote event " .. event .. ".",
}
local code = ""
for i = 1, #lines - 1 do
	code = code .. "550-5.7.1 " .. lines[i] .. "\r\n"
end
code = code .. "550"
if not mt.eom_check(conn, MT_SMTPREPLY, code, "5.7.1", lines[#lines]) then
	fail("SMTP reply differs from the expected one:\n" .. code .. " 5.7.1 " .. lines[#lines])
end

if mt.eom_check(conn, MT_HDRINSERT) or mt.eom_check(conn, MT_HDRADD) then
	fail("a header was added to a rejected message")
end
if mt.eom_check(conn, MT_QUARANTINE) then
	fail("a rejected message was also quarantined")
end

mt.disconnect(conn)
