-- t-quarantine: "child protection plan" to an outside address is held:
-- SMFIR_CONTINUE at end of message, an X-Safeguard-Verdict field inserted
-- at the top ("quarantine; categories=confidential;
-- rules=safeguarding-leaving-trust; event=sg-..."), and a quarantine
-- request whose reason carries the same event id and rule.
--
-- Needs SG_SOCKET (path of the milter's unix socket).  SG_QID (queue id
-- sent in the "i" macro) is optional.

local name = "t-quarantine"
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
local qid = os.getenv("SG_QID") or "MTQUARANTINE"
local hdr = "X-Safeguard-Verdict"
local rule = "safeguarding-leaving-trust"

mt.echo("*** " .. name .. ": safeguarding details to an outside address are quarantined")

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
ok(mt.header(conn, "Subject", "Year 8 pupil"), "mt.header(Subject)")
ok(mt.header(conn, "Message-ID", "<t-quarantine@northfield.sch.uk>"), "mt.header(Message-ID)")
ok(mt.bodystring(conn, "Attached is the child protection plan we discussed.\r\n"), "mt.bodystring")
ok(mt.eom(conn), "mt.eom")

local r = mt.getreply(conn)
if r ~= SMFIR_CONTINUE then
	fail(string.format("eom reply '%c', expected SMFIR_CONTINUE", r))
end

local v = mt.getheader(conn, hdr, 0)
if v == nil then
	fail(hdr .. " was not added")
end
local event = v:match("^quarantine; categories=confidential; rules=" ..
                      rule:gsub("%-", "%%-") .. "; event=(sg%-%x+)$")
if event == nil then
	fail("unexpected " .. hdr .. " value: " .. v)
end
if mt.getheader(conn, hdr, 1) ~= nil then
	fail(hdr .. " was added more than once")
end
if not mt.eom_check(conn, MT_HDRINSERT, hdr, v, 0) then
	fail(hdr .. " was not inserted as the first header field")
end

if not mt.eom_check(conn, MT_QUARANTINE) then
	fail("the message was not quarantined")
end
local reason = "safeguard " .. event .. ": rules=" .. rule
if not mt.eom_check(conn, MT_QUARANTINE, reason) then
	fail("quarantine reason is not \"" .. reason .. "\"")
end
if mt.eom_check(conn, MT_HDRCHANGE, "Subject") or mt.eom_check(conn, MT_HDRADD, "Subject") then
	fail("the Subject of a quarantined message was tagged")
end

mt.disconnect(conn)
