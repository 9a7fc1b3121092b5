-- t-annotate: "disciplinary hearing" to an outside address is let
-- through but marked: SMFIR_CONTINUE at end of message, an
-- X-Safeguard-Verdict field inserted ("annotate; categories=confidential;
-- rules=personnel-leaving-trust; event=sg-...") and the Subject prefixed
-- with "[SAFEGUARD] ".  No quarantine.
--
-- Needs SG_SOCKET (path of the milter's unix socket).  SG_QID (queue id
-- sent in the "i" macro) is optional.

local name = "t-annotate"
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
local qid = os.getenv("SG_QID") or "MTANNOTATE"
local hdr = "X-Safeguard-Verdict"
local subject = "Staffing update"

mt.echo("*** " .. name .. ": personnel matters to an outside address are annotated")

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
ok(mt.header(conn, "Subject", subject), "mt.header(Subject)")
ok(mt.header(conn, "Message-ID", "<t-annotate@northfield.sch.uk>"), "mt.header(Message-ID)")
ok(mt.bodystring(conn, "The disciplinary hearing has moved to Monday.\r\n"), "mt.bodystring")
ok(mt.eom(conn), "mt.eom")

local r = mt.getreply(conn)
if r ~= SMFIR_CONTINUE then
	fail(string.format("eom reply '%c', expected SMFIR_CONTINUE", r))
end

local v = mt.getheader(conn, hdr, 0)
if v == nil then
	fail(hdr .. " was not added")
end
if not v:match("^annotate; categories=confidential; rules=personnel%-leaving%-trust; event=sg%-%x+$") then
	fail("unexpected " .. hdr .. " value: " .. v)
end
if mt.getheader(conn, hdr, 1) ~= nil then
	fail(hdr .. " was added more than once")
end
if not mt.eom_check(conn, MT_HDRINSERT, hdr, v) then
	fail(hdr .. " was not inserted (SMFIR_INSHEADER)")
end

if not mt.eom_check(conn, MT_HDRCHANGE, "Subject", "[SAFEGUARD] " .. subject) then
	fail("Subject was not changed to \"[SAFEGUARD] " .. subject .. "\"")
end
if mt.eom_check(conn, MT_QUARANTINE) then
	fail("an annotated message was quarantined")
end

mt.disconnect(conn)
