"""run-chunks' launcher: starts a chunk's command so that nothing it starts can outlive it.

Usage: python run_chunks_launcher.py [--cgroup-procs FILE] [--status-file FILE] -- COMMAND...

1. With --cgroup-procs, it writes its own pid into the chunk's cgroup before anything forks, so
   every descendant is in that cgroup whatever its process group, session or environment.
2. It makes itself the child subreaper (prctl PR_SET_CHILD_SUBREAPER): a daemon that
   double-forks away from the command re-parents to the launcher, not to init.
3. It runs the command as its child (same process group), forwards SIGTERM/SIGINT to it, and
   when the command ends, SIGKILLs whatever re-parented to it, naming each in the status file.
4. It ends exactly as the command did: the same exit code, or death by the same signal.

Standard library only; Python 3.6+. A failure to join the cgroup is written to the status file
("error ...") and the launcher exits 125 without running the command.
"""
import ctypes
import errno
import os
import signal
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
FAILED_TO_START = 125


def write_status(path, line):
    if path is None:
        return
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(line.replace("\n", " ") + "\n")
    except OSError:
        pass


def become_subreaper():
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def children_of(pid):
    """Pids whose parent is `pid`, from /proc (zombies included: they are reaped by wait)."""
    found = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return found
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as handle:
                stat = handle.read().decode("latin-1")
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split(" ")
        if len(fields) > 1 and fields[1] == str(pid) and fields[0] != "Z":
            found.append(int(name))
    return found


def command_of(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode("utf-8", "replace").strip() or "?"
    except OSError:
        return "?"


def signal_pending(pid, signum):
    """Whether `signum` is pending for `pid` (SigPnd or ShdPnd in /proc/PID/status)."""
    try:
        with open("/proc/%d/status" % pid, "r") as handle:
            for line in handle:
                if line.startswith(("SigPnd:", "ShdPnd:")) and int(line.split()[1], 16) & (1 << (signum - 1)):
                    return True
    except (OSError, ValueError, IndexError):
        pass
    return False


def reap_all():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def kill_orphans(status_file):
    """SIGKILLs what re-parented to us, round after round (a killed parent's children come next)."""
    seen = set()
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        reap_all()
        orphans = children_of(os.getpid())
        if not orphans:
            return
        for pid in orphans:
            if pid not in seen:
                seen.add(pid)
                write_status(status_file, "killed %d %s" % (pid, command_of(pid)))
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.02)


def main(argv):
    cgroup_procs = None
    status_file = None
    args = list(argv)
    while args and args[0] != "--":
        option = args.pop(0)
        if option == "--cgroup-procs" and args:
            cgroup_procs = args.pop(0)
        elif option == "--status-file" and args:
            status_file = args.pop(0)
        else:
            sys.stderr.write("run_chunks_launcher: unknown option %s\n" % option)
            return FAILED_TO_START
    command = args[1:]
    if not command:
        sys.stderr.write("run_chunks_launcher: no command after --\n")
        return FAILED_TO_START

    if cgroup_procs is not None:
        try:
            with open(cgroup_procs, "w") as handle:
                handle.write(str(os.getpid()))
        except OSError as error:
            write_status(status_file, "error could not join the chunk's cgroup (%s: %s)" % (cgroup_procs, error.strerror))
            return FAILED_TO_START
    if not become_subreaper():
        write_status(status_file, "no-subreaper prctl(PR_SET_CHILD_SUBREAPER) failed")

    try:
        child = os.fork()
    except OSError as error:
        write_status(status_file, "error could not fork the command (%s)" % error.strerror)
        return FAILED_TO_START
    if child == 0:
        try:
            os.execvp(command[0], command)
        except OSError as error:
            # run-chunks reads this and reports it as it would a failed spawn of the command.
            write_status(status_file, "exec-error %s %s" % (errno.errorcode.get(error.errno, "E?"), error.strerror))
            os._exit(127 if error.errno == errno.ENOENT else 126)

    # Its pid, for the evidence: a kernel log line naming it is about this chunk.
    write_status(status_file, "command %d" % child)

    def forward(signum, _frame):
        # run-chunks signals the whole process group, so the command has the signal already:
        # forwarding it again would deliver it twice. Only a signal sent to the launcher alone
        # (not pending for the command) is passed on.
        if not signal_pending(child, signum):
            try:
                os.kill(child, signum)
            except OSError:
                pass

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(signum, forward)

    while True:
        try:
            pid, status = os.waitpid(child, 0)
        except InterruptedError:
            continue
        if pid == child:
            break

    kill_orphans(status_file)
    sys.stdout.flush()
    sys.stderr.flush()
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        if signum not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(signum, signal.SIG_DFL)
        # A core dump is the command's to make, not ours.
        try:
            import resource

            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        except (ImportError, ValueError, OSError):
            pass
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [signum])
        os.kill(os.getpid(), signum)
        time.sleep(1)
        return 128 + signum
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
