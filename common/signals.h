#ifndef AP_COMMON_SIGNALS_H_
#define AP_COMMON_SIGNALS_H_

// Termination signals for a server's main(). The handler only writes the
// signal number to a pipe (async-signal-safe), so it works whichever thread
// the kernel picks, including threads libraries started before main().

namespace ap {

// Installs handlers for SIGTERM and SIGINT. Call once, early in main.
void InstallTerminationHandlers();
// Blocks until SIGTERM or SIGINT arrives; returns the signal number.
int WaitForTerminationSignal();

}  // namespace ap

#endif  // AP_COMMON_SIGNALS_H_
