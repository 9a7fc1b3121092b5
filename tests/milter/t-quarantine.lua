-- t-quarantine: "child protection plan" to an outside address is held:
-- SMFIR_CONTINUE at end of message, an X-Safeguard-Verdict field inserted
-- at the top ("quarantine; categories=confidential;
-- rules=safeguarding-leaving-trust; event=sg-..."), and a quarantine
-- request whose reason carries the same event id and rule.
--
-- Shared code and environment (SG_SOCKET, SG_QID): common.lua.

local sg = dofile((os.getenv("SG_MILTER_DIR") or "tests/milter") .. "/common.lua")
local t = sg.case("t-quarantine", "safeguarding details to an outside address are quarantined")
local hdr = sg.HDR
local rule = "safeguarding-leaving-trust"

t:send{
	rcpt = "<x@example.com>",
	subject = "Year 8 pupil",
	body = "Attached is the child protection plan we discussed.\r\n",
}

t:reply("SMFIR_CONTINUE")

local v, event = t:verdict("quarantine", "confidential", rule)
t:check(hdr .. " was not inserted as the first header field", MT_HDRINSERT, hdr, v, 0)

t:check("the message was not quarantined", MT_QUARANTINE)
local reason = "safeguard " .. event .. ": rules=" .. rule
t:check("quarantine reason is not \"" .. reason .. "\"", MT_QUARANTINE, reason)
t:refute("the Subject of a quarantined message was tagged", MT_HDRCHANGE, "Subject")
t:refute("the Subject of a quarantined message was tagged", MT_HDRADD, "Subject")

t:done()
