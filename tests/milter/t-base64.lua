-- t-base64: offensive language hidden in a base64 body
-- (Content-Transfer-Encoding: base64) is decoded and still refused with
-- the same multi-line 550 5.7.1 reply as t-reject.  The last line of the
-- reply quotes the random event id, which is read from the milter's log
-- line for this queue id.
--
-- Shared code and environment (SG_SOCKET, SG_LOG, SG_QID): common.lua.

local sg = dofile((os.getenv("SG_MILTER_DIR") or "tests/milter") .. "/common.lua")
local t = sg.case("t-base64", "offensive language in a base64 body is rejected", { log = true })

t:send{
	rcpt = "<x@example.com>",
	subject = "Timetable",
	headers = {
		"From", "To", "Subject", "Message-ID",
		{ "MIME-Version", "1.0" },
		{ "Content-Type", "text/plain; charset=utf-8" },
		{ "Content-Transfer-Encoding", "base64" },
	},
	-- "Hi,\r\nwhat the fuck happened with the timetable?\r\n"
	body = "SGksDQp3aGF0IHRoZSBmdWNrIGhhcHBlbmVkIHdpdGggdGhlIHRpbWV0YWJsZT8NCg==\r\n",
}

t:reply("SMFIR_REPLYCODE")
t:rejection{
	rule = "offensive-language",
	category = "offensive",
	explain = "Offensive language is not acceptable in school email.",
	cite = "LiFE MAT, Social Media Policy: must not use any offensive, obscene, derogatory or discriminatory language",
	advice = "Write it again without those words; to report abuse someone sent you, forward it to the DSL.",
}

t:no_header_added("a rejected message")
t:refute("a rejected message was also quarantined", MT_QUARANTINE)

t:done()
