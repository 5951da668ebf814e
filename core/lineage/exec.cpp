#include "core/lineage/exec.hpp"

#include "core/util/error.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cairn::lineage {

namespace {

volatile sig_atomic_t g_child_pid = 0;

constexpr std::array<int, 4> k_forwarded = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

void forward_signal(int sig, siginfo_t* info, void*) {
    // Signals from the terminal (SI_KERNEL) already reached the child, which
    // shares our process group; forwarding them would deliver them twice.
    if (info && info->si_code == SI_KERNEL) return;
    if (g_child_pid > 0) ::kill(static_cast<pid_t>(g_child_pid), sig);
}

// Installs the forwarding handlers and restores the previous ones on exit.
class SignalForwarding {
public:
    SignalForwarding() {
        struct sigaction sa {};
        sa.sa_sigaction = forward_signal;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < k_forwarded.size(); ++i) ::sigaction(k_forwarded[i], &sa, &m_old[i]);
    }
    ~SignalForwarding() {
        for (size_t i = 0; i < k_forwarded.size(); ++i) ::sigaction(k_forwarded[i], &m_old[i], nullptr);
        g_child_pid = 0;
    }
    SignalForwarding(const SignalForwarding&) = delete;
    SignalForwarding& operator=(const SignalForwarding&) = delete;

private:
    std::array<struct sigaction, k_forwarded.size()> m_old{};
};

// The forwarded signals, blocked from just before fork() until the parent
// knows the child's pid: one that arrives in between is held, then
// forwarded, instead of reaching a handler with no child to forward to.
sigset_t forwarded_set() {
    sigset_t set;
    sigemptyset(&set);
    for (int sig : k_forwarded) sigaddset(&set, sig);
    return set;
}

[[noreturn]] void exec_child(const std::vector<std::string>& argv, int error_fd, const sigset_t& old_mask) {
    for (int sig : k_forwarded) ::signal(sig, SIG_DFL);
    // Held signals now act on the child as they would have on its own.
    ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    const int err = errno;
    // The parent reads errno from the close-on-exec pipe: nothing arrives
    // when exec succeeded.
    [[maybe_unused]] ssize_t n = ::write(error_fd, &err, sizeof err);
    ::_exit(err == ENOENT ? 127 : 126);
}

int wait_status(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) throw Error(ErrorKind::internal, std::string("waitpid failed: ") + std::strerror(errno));
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
}

} // namespace

ExecResult exec_run(catalog::Catalog& c, const Actor& actor, const ExecOptions& o) {
    if (o.argv.empty()) throw Error(ErrorKind::usage, "no command given", "write the command after --: cairn run exec -- CMD ARGS...");
    StartOptions start = o.start;
    start.pid = actor.pid;
    if (start.command_line.empty()) start.command_line = redact_command_line(o.argv);
    ExecResult result;
    result.run = start_run(c, actor, start);
    if (o.started) o.started(result.run);

    ::setenv(k_run_env, result.run.uid.c_str(), 1);
    if (!o.instance_dir.empty()) ::setenv("CAIRN_INSTANCE", o.instance_dir.c_str(), 1);

    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw Error(ErrorKind::internal, std::string("pipe failed: ") + std::strerror(errno));
    {
        SignalForwarding forwarding;
        const sigset_t block = forwarded_set();
        sigset_t old_mask;
        ::sigprocmask(SIG_BLOCK, &block, &old_mask);
        const pid_t pid = ::fork();
        if (pid < 0) {
            ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
            throw Error(ErrorKind::internal, std::string("fork failed: ") + std::strerror(errno));
        }
        if (pid == 0) {
            ::close(pipe_fds[0]);
            exec_child(o.argv, pipe_fds[1], old_mask);
        }
        g_child_pid = pid;
        ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
        ::close(pipe_fds[1]);
        int err = 0;
        ssize_t n;
        while ((n = ::read(pipe_fds[0], &err, sizeof err)) < 0 && errno == EINTR) {
        }
        ::close(pipe_fds[0]);
        result.exit_status = wait_status(pid);
        if (n == static_cast<ssize_t>(sizeof err))
            result.error = "cannot run '" + o.argv[0] + "': " + std::strerror(err);
    }
    result.run = finish_run(c, actor, result.run.uid, result.exit_status);
    return result;
}

} // namespace cairn::lineage
