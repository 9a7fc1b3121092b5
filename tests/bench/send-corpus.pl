#!/usr/bin/perl
# send-corpus.pl HOST:PORT SESSIONS FROM RCPT < LIST - sends every file
# named on standard input once, over SESSIONS SMTP sessions in parallel
# (file i goes to session i mod SESSIONS), one message after another in
# each session, with RSET after a refusal.
#
# Why not smtp-source, as for the filler: smtp-source ends with a fatal
# error on a 5xx reply, and Postfix's fatal path sleeps one second before
# it exits, so every message a filter rejects costs the run a second of a
# session and the filter that refuses the most looks the slowest. Exit
# status 0 when every session ran (refused messages are not errors).
use strict;
use warnings;
use Net::SMTP;

my ($server, $sessions, $from, $rcpt) = @ARGV;
die "usage: send-corpus.pl HOST:PORT SESSIONS FROM RCPT < LIST\n" unless defined $rcpt && $sessions > 0;
chomp(my @files = <STDIN>);
my @kids;
for my $k (0 .. $sessions - 1) {
    my $pid = fork();
    die "fork: $!\n" unless defined $pid;
    if ($pid) { push @kids, $pid; next; }
    my $smtp = Net::SMTP->new($server, Hello => 'bench.example', Timeout => 120)
        or do { warn "connect $server: $@\n"; exit 1; };
    for (my $i = $k; $i < @files; $i += $sessions) {
        open(my $fh, '<', $files[$i]) or do { warn "$files[$i]: $!\n"; next; };
        local $/;
        my $data = <$fh>;
        close $fh;
        $data =~ s/\r?\n/\r\n/g;
        my $ok = $smtp->mail($from) && $smtp->to($rcpt) && $smtp->data() && $smtp->datasend($data) && $smtp->dataend();
        $smtp->reset() unless $ok;
    }
    $smtp->quit();
    exit 0;
}
my $failed = 0;
for my $pid (@kids) { waitpid($pid, 0); $failed++ if $? != 0; }
exit($failed ? 1 : 0);
