-- t-annotate: "disciplinary hearing" to an outside address is let
-- through but marked: SMFIR_CONTINUE at end of message, an
-- X-Safeguard-Verdict field inserted ("annotate; categories=confidential;
-- rules=personnel-leaving-trust; event=sg-...") and the Subject prefixed
-- with "[SAFEGUARD] ".  No quarantine.
--
-- Shared code and environment (SG_SOCKET, SG_QID): common.lua.

local sg = dofile((os.getenv("SG_MILTER_DIR") or "tests/milter") .. "/common.lua")
local t = sg.case("t-annotate", "personnel matters to an outside address are annotated")
local hdr = sg.HDR
local subject = "Staffing update"

t:send{
	rcpt = "<x@example.com>",
	subject = subject,
	body = "The disciplinary hearing has moved to Monday.\r\n",
}

t:reply("SMFIR_CONTINUE")

local v = t:verdict("annotate", "confidential", "personnel-leaving-trust")
t:check(hdr .. " was not inserted (SMFIR_INSHEADER)", MT_HDRINSERT, hdr, v)

t:check("Subject was not changed to \"[SAFEGUARD] " .. subject .. "\"",
        MT_HDRCHANGE, "Subject", "[SAFEGUARD] " .. subject)
t:refute("an annotated message was quarantined", MT_QUARANTINE)

t:done()
