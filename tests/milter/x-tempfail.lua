-- x-tempfail: an internal failure is answered with a temporary failure,
-- never a silent accept. run.sh starts a second milter for this case with
-- a 1 KB memory spool and a spill directory that does not exist, so a
-- message larger than 1 KB cannot be spooled; the milter must tempfail.
--
-- Shared code and environment (SG_SOCKET, SG_QID): common.lua.

local sg = dofile((os.getenv("SG_MILTER_DIR") or "tests/milter") .. "/common.lua")
local t = sg.case("x-tempfail", "a spool failure tempfails the message", { log = true })

t:send{
	rcpt = "<x@example.com>",
	subject = "Minutes",
	body = string.rep("Minutes of the staff meeting, nothing of note.\r\n", 60),
}

-- A 451 4.7.1 reply with the event id travels as SMFIR_REPLYCODE.
t:reply("SMFIR_REPLYCODE")
local event = t:logged_event("tempfail")
t:check("reply is not 451 4.7.1 naming the event", MT_SMTPREPLY, "451", "4.7.1",
	"Message screening is temporarily unavailable (event " .. event .. "); it will be retried")
t:no_header_added("a tempfailed message")
t:refute("a tempfailed message was quarantined", MT_QUARANTINE)

t:done()
