-- t-forged-header: a sender must not be able to pre-mark its own mail.
-- Two incoming "X-Safeguard-Verdict: accept" fields on an otherwise
-- harmless message are both deleted (SMFIR_CHGHEADER with an empty value,
-- i.e. MT_HDRDELETE, indices 1 and 2) and no verdict header is inserted.
--
-- Shared code and environment (SG_SOCKET, SG_QID): common.lua.

local sg = dofile((os.getenv("SG_MILTER_DIR") or "tests/milter") .. "/common.lua")
local t = sg.case("t-forged-header", "forged verdict headers are removed from accepted mail")
local hdr = sg.HDR

t:send{
	rcpt = "<x@example.com>",
	subject = "Friday",
	headers = {
		"From", "To",
		{ hdr, "accept", "#1" },
		"Subject",
		{ hdr, "accept; categories=; rules=; event=sg-000000000000", "#2" },
		"Message-ID",
	},
	body = "Are we still on for lunch on friday?\r\n",
}

t:reply("SMFIR_CONTINUE")
t:check("forged " .. hdr .. " #1 was not deleted", MT_HDRDELETE, hdr, 1)
t:check("forged " .. hdr .. " #2 was not deleted", MT_HDRDELETE, hdr, 2)
t:no_header_added("an accepted message")
t:refute("the Subject of an accepted message was changed", MT_HDRCHANGE, "Subject")
t:refute("an accepted message was quarantined", MT_QUARANTINE)

t:done()
