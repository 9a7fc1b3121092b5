-- t-accept: ordinary mail from staff to an outside address is accepted
-- untouched: SMFIR_CONTINUE at end of message, no verdict header, no
-- subject tag, no quarantine, no SMTP reply.
--
-- Needs SG_SOCKET (path of the milter's unix socket).  SG_QID (queue id
-- sent in the "i" macro) is optional.

local name = "t-accept"
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
local qid = os.getenv("SG_QID") or "MTACCEPT"

mt.echo("*** " .. name .. ": plain mail to an outside address is accepted untouched")

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
ok(mt.header(conn, "Subject", "Friday"), "mt.header(Subject)")
ok(mt.header(conn, "Message-ID", "<t-accept@northfield.sch.uk>"), "mt.header(Message-ID)")
ok(mt.bodystring(conn, "Are we still on for lunch on friday?\r\n"), "mt.bodystring")
ok(mt.eom(conn), "mt.eom")

local r = mt.getreply(conn)
if r ~= SMFIR_CONTINUE then
	fail(string.format("eom reply '%c', expected SMFIR_CONTINUE", r))
end
if mt.eom_check(conn, MT_HDRINSERT) or mt.eom_check(conn, MT_HDRADD) then
	fail("a header was added to an accepted message")
end
if mt.eom_check(conn, MT_HDRCHANGE) then
	fail("a header was changed or deleted in an accepted message")
end
if mt.eom_check(conn, MT_QUARANTINE) then
	fail("an accepted message was quarantined")
end

mt.disconnect(conn)
