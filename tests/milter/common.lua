-- tests/milter/common.lua -- shared code for the miltertest scripts t-*.lua.
--
-- Not a test itself (run.sh runs only t-*.lua).  Each script loads it with
--
--   local sg = dofile((os.getenv("SG_MILTER_DIR") or "tests/milter") .. "/common.lua")
--   local t = sg.case("t-name", "what the case shows")
--
-- then sends one message with t:send{...} and states what it expects with
-- t:reply, t:check, t:refute, t:no_header_added, t:verdict and
-- t:rejection, and ends with t:done().  Every failed step or check writes
-- "t-name: message" to stderr and raises an error, so miltertest exits
-- non-zero.
--
-- Environment: SG_SOCKET (path of the milter's unix socket, required),
-- SG_QID (queue id sent in the "i" macro, letters and digits; default "MT"
-- and the script's name in capitals), SG_LOG (the milter's stderr, run
-- with -e; required by cases that read the event id from the log).
-- run.sh sets all three, and SG_MILTER_DIR to this file's folder.

local sg = {}

-- The verdict header field of tests/milter/policy.yaml (actions.header).
sg.HDR = "X-Safeguard-Verdict"

-- The message every case sends, unless it says otherwise.
local SENDER = "<t@northfield.sch.uk>"
local FROM = "T Teacher <t@northfield.sch.uk>"
local DOMAIN = "northfield.sch.uk"

local Case = {}
Case.__index = Case

-- sg.case(name, title[, opts]): start a case.  opts.log = true: the case
-- reads the milter's log, so SG_LOG must be set.
function sg.case(name, title, opts)
	opts = opts or {}
	local t = setmetatable({ name = name }, Case)
	t.sock = os.getenv("SG_SOCKET") or t:fail("SG_SOCKET is not set")
	if opts.log then
		t.log = os.getenv("SG_LOG") or t:fail("SG_LOG is not set")
	end
	t.qid = os.getenv("SG_QID") or
		"MT" .. name:gsub("^t%-", ""):gsub("%W", ""):upper()
	mt.echo("*** " .. name .. ": " .. title)
	return t
end

function Case:fail(msg)
	io.stderr:write(self.name .. ": " .. msg .. "\n")
	error(msg, 0)
end

function Case:ok(err, what)		-- mt.* calls return nil on success
	if err ~= nil then
		self:fail(what .. " failed: " .. tostring(err))
	end
end

-- t:send{rcpt = "<a@b>", subject = "...", body = "...", headers = {...}}
-- connects, sends one message from a staff member authenticated as
-- "teacher" to rcpt, and ends it (mt.eom).  headers is the list of header
-- fields in order (default {"From", "To", "Subject", "Message-ID"}); a
-- string entry is one of those four with its usual value (To: rcpt,
-- Subject: subject, Message-ID: <name@northfield.sch.uk>), a table entry
-- is {field, value[, tag]}, tag naming the field in error messages.
function Case:send(m)
	local conn = mt.connect("unix:" .. self.sock, 40, 0.25)
	if conn == nil then
		self:fail("mt.connect(unix:" .. self.sock .. ") failed")
	end
	self.conn = conn

	local usual = {
		From = FROM,
		To = m.rcpt,
		Subject = m.subject,
		["Message-ID"] = "<" .. self.name .. "@" .. DOMAIN .. ">",
	}
	self:ok(mt.conninfo(conn, "mail." .. DOMAIN, "192.0.2.25"), "mt.conninfo")
	self:ok(mt.macro(conn, SMFIC_MAIL, "i", self.qid, "{auth_authen}", "teacher"), "mt.macro")
	self:ok(mt.mailfrom(conn, SENDER), "mt.mailfrom")
	self:ok(mt.rcptto(conn, m.rcpt), "mt.rcptto")
	for _, h in ipairs(m.headers or { "From", "To", "Subject", "Message-ID" }) do
		local field, value, label
		if type(h) == "string" then
			field, value, label = h, usual[h], h
		else
			field, value = h[1], h[2]
			label = h[3] and field .. " " .. h[3] or field
		end
		self:ok(mt.header(conn, field, value), "mt.header(" .. label .. ")")
	end
	self:ok(mt.bodystring(conn, m.body), "mt.bodystring")
	self:ok(mt.eom(conn), "mt.eom")
end

-- t:reply("SMFIR_..."): the milter's reply at end of message.
function Case:reply(expected)
	local r = mt.getreply(self.conn)
	if r ~= _G[expected] then
		self:fail(string.format("eom reply '%c', expected %s", r, expected))
	end
end

-- t:check(msg, what, ...) fails with msg unless mt.eom_check(conn, what, ...)
-- holds; t:refute(msg, what, ...) fails with msg if it holds.
function Case:check(msg, ...)
	if not mt.eom_check(self.conn, ...) then
		self:fail(msg)
	end
end

function Case:refute(msg, ...)
	if mt.eom_check(self.conn, ...) then
		self:fail(msg)
	end
end

-- t:no_header_added("an accepted message"): no header field inserted or added.
function Case:no_header_added(message)
	if mt.eom_check(self.conn, MT_HDRINSERT) or mt.eom_check(self.conn, MT_HDRADD) then
		self:fail("a header was added to " .. message)
	end
end

-- t:verdict(action, categories, rules): the one verdict header field the
-- milter added is "action; categories=...; rules=...; event=sg-<hex>".
-- Returns its value and the event id.
function Case:verdict(action, categories, rules)
	local hdr = sg.HDR
	local v = mt.getheader(self.conn, hdr, 0)
	if v == nil then
		self:fail(hdr .. " was not added")
	end
	local function lit(s) return (s:gsub("%p", "%%%0")) end
	local event = v:match("^" .. lit(action) .. "; categories=" .. lit(categories) ..
	                      "; rules=" .. lit(rules) .. "; event=(sg%-%x+)$")
	if event == nil then
		self:fail("unexpected " .. hdr .. " value: " .. v)
	end
	if mt.getheader(self.conn, hdr, 1) ~= nil then
		self:fail(hdr .. " was added more than once")
	end
	return v, event
end

-- The event id the milter logged for this queue id (last one wins).
function Case:logged_event(action)
	local log = self.log
	local f = io.open(log, "r") or self:fail("cannot read " .. log)
	local pat = ": " .. self.qid:gsub("%W", "%%%0") .. ": event=(sg%-%x+) action=" .. action .. " "
	local event
	for line in f:lines() do
		event = line:match(pat) or event
	end
	f:close()
	return event or self:fail("no action=" .. action .. " log line for " .. self.qid .. " in " .. log)
end

-- t:rejection{rule = ..., category = ..., explain = ..., cite = ..., advice = ...}:
-- the message was refused with the multi-line 550 5.7.1 reply that says
-- what was stopped, cites the policy, says what to do instead and quotes
-- the event id logged for it (needs opts.log).
--
-- mt.eom_check(conn, MT_SMTPREPLY, code, xcode, text) compares
-- code.." "..xcode.." "..text with the whole reply string, so for a
-- multi-line reply ("550-5.7.1 a\r\n550-5.7.1 b\r\n550 5.7.1 c") the
-- earlier lines travel in the code argument.
function Case:rejection(r)
	local event = self:logged_event("reject")
	local lines = {
		"Your message was not sent: it breaks the Northfield Academy staff communications policy.",
		"What was stopped: " .. r.explain .. " (rule " .. r.rule .. ", " .. r.category .. ")",
		"Policy clause: " .. r.cite,
		"What to do instead: " .. r.advice,
		"If you think this is wrong, or the message is needed, please contact the Designated Safeguarding Lead (dsl@northfield.sch.uk) and quote event " .. event .. ".",
	}
	local code = ""
	for i = 1, #lines - 1 do
		code = code .. "550-5.7.1 " .. lines[i] .. "\r\n"
	end
	code = code .. "550"
	if not mt.eom_check(self.conn, MT_SMTPREPLY, code, "5.7.1", lines[#lines]) then
		self:fail("SMTP reply differs from the expected one:\n" .. code .. " 5.7.1 " .. lines[#lines])
	end
end

function Case:done()
	mt.disconnect(self.conn)
end

return sg
