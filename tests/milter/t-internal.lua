-- t-internal: the safeguarding rule is scoped to recipients outside the
-- trust, so "child protection plan" sent to a colleague at the school is
-- accepted untouched (no verdict header, no quarantine).
--
-- Needs SG_SOCKET (path of the milter's unix socket).  SG_QID (queue id
-- sent in the "i" macro) is optional.

local name = "t-internal"
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
local qid = os.getenv("SG_QID") or "MTINTERNAL"

mt.echo("*** " .. name .. ": safeguarding phrase to an internal recipient is accepted")

local conn = mt.connect("unix:" .. sock, 40, 0.25)
if conn == nil then
	fail("mt.connect(unix:" .. sock .. ") failed")
end

ok(mt.conninfo(conn, "mail.northfield.sch.uk", "192.0.2.25"), "mt.conninfo")
ok(mt.macro(conn, SMFIC_MAIL, "i", qid, "{auth_authen}", "teacher"), "mt.macro")
ok(mt.mailfrom(conn, "<t@northfield.sch.uk>"), "mt.mailfrom")
ok(mt.rcptto(conn, "<someone@northfield.sch.uk>"), "mt.rcptto")
ok(mt.header(conn, "From", "T Teacher <t@northfield.sch.uk>"), "mt.header(From)")
ok(mt.header(conn, "To", "<someone@northfield.sch.uk>"), "mt.header(To)")
ok(mt.header(conn, "Subject", "Year 8 pupil"), "mt.header(Subject)")
ok(mt.header(conn, "Message-ID", "<t-internal@northfield.sch.uk>"), "mt.header(Message-ID)")
ok(mt.bodystring(conn, "The child protection plan review is on Tuesday.\r\n"), "mt.bodystring")
ok(mt.eom(conn), "mt.eom")

local r = mt.getreply(conn)
if r ~= SMFIR_CONTINUE then
	fail(string.format("eom reply '%c', expected SMFIR_CONTINUE", r))
end
if mt.eom_check(conn, MT_HDRINSERT) or mt.eom_check(conn, MT_HDRADD) then
	fail("a header was added to a message for an internal recipient")
end
if mt.eom_check(conn, MT_HDRCHANGE) then
	fail("a header was changed for an internal recipient")
end
if mt.eom_check(conn, MT_QUARANTINE) then
	fail("a message for an internal recipient was quarantined")
end

mt.disconnect(conn)
