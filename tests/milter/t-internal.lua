-- t-internal: the safeguarding rule is scoped to recipients outside the
-- trust, so "child protection plan" sent to a colleague at the school is
-- accepted untouched (no verdict header, no quarantine).
--
-- Shared code and environment (SG_SOCKET, SG_QID): common.lua.

local sg = dofile((os.getenv("SG_MILTER_DIR") or "tests/milter") .. "/common.lua")
local t = sg.case("t-internal", "safeguarding phrase to an internal recipient is accepted")

t:send{
	rcpt = "<someone@northfield.sch.uk>",
	subject = "Year 8 pupil",
	body = "The child protection plan review is on Tuesday.\r\n",
}

t:reply("SMFIR_CONTINUE")
t:no_header_added("a message for an internal recipient")
t:refute("a header was changed for an internal recipient", MT_HDRCHANGE)
t:refute("a message for an internal recipient was quarantined", MT_QUARANTINE)

t:done()
