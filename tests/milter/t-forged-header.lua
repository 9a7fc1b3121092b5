-- t-forged-header: a sender must not be able to pre-mark its own mail.
-- Two incoming "X-Safeguard-Verdict: accept" fields on an otherwise
-- harmless message are both deleted (SMFIR_CHGHEADER with an empty value,
-- i.e. MT_HDRDELETE, indices 1 and 2) and no verdict header is inserted.
--
-- Needs SG_SOCKET (path of the milter's unix socket).  SG_QID (queue id
-- sent in the "i" macro) is optional.

local name = "t-forged-header"
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
local qid = os.getenv("SG_QID") or "MTFORGEDHEADER"
local hdr = "X-Safeguard-Verdict"

mt.echo("*** " .. name .. ": forged verdict headers are removed from accepted mail")

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
ok(mt.header(conn, hdr, "accept"), "mt.header(" .. hdr .. " #1)")
ok(mt.header(conn, "Subject", "Friday"), "mt.header(Subject)")
ok(mt.header(conn, hdr, "accept; categories=; rules=; event=sg-000000000000"),
   "mt.header(" .. hdr .. " #2)")
ok(mt.header(conn, "Message-ID", "<t-forged-header@northfield.sch.uk>"), "mt.header(Message-ID)")
ok(mt.bodystring(conn, "Are we still on for lunch on friday?\r\n"), "mt.bodystring")
ok(mt.eom(conn), "mt.eom")

local r = mt.getreply(conn)
if r ~= SMFIR_CONTINUE then
	fail(string.format("eom reply '%c', expected SMFIR_CONTINUE", r))
end
if not mt.eom_check(conn, MT_HDRDELETE, hdr, 1) then
	fail("forged " .. hdr .. " #1 was not deleted")
end
if not mt.eom_check(conn, MT_HDRDELETE, hdr, 2) then
	fail("forged " .. hdr .. " #2 was not deleted")
end
if mt.eom_check(conn, MT_HDRINSERT) or mt.eom_check(conn, MT_HDRADD) then
	fail("a header was added to an accepted message")
end
if mt.eom_check(conn, MT_HDRCHANGE, "Subject") then
	fail("the Subject of an accepted message was changed")
end
if mt.eom_check(conn, MT_QUARANTINE) then
	fail("an accepted message was quarantined")
end

mt.disconnect(conn)
