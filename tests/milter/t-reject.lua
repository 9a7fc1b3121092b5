-- t-reject: offensive language is refused at end of message with the
-- multi-line 550 5.7.1 reply that names the rule, cites the policy and
-- quotes the event id.  Nothing is added to the message.  The event id is
-- random; it is read from the milter's log line for this queue id.
--
-- Shared code and environment (SG_SOCKET, SG_LOG, SG_QID): common.lua.

local sg = dofile((os.getenv("SG_MILTER_DIR") or "tests/milter") .. "/common.lua")
local t = sg.case("t-reject", "offensive language is rejected with 550 5.7.1", { log = true })

t:send{
	rcpt = "<x@example.com>",
	subject = "Timetable",
	body = "Hi,\r\nwhat the fuck happened with the timetable?\r\n",
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
