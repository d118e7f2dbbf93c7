//! Graceful shutdown: stop accepting on a signal, let in-flight work finish within a deadline.
//!
//! Built on tokio-util's [`CancellationToken`] (the signal) and [`TaskTracker`] (the
//! in-flight work). A [`Shutdown`] owns both; a [`ShutdownGuard`] is the cheap handle that
//! listeners and connection tasks hold: it spawns tracked tasks and tells when shutdown began.
//!
//! ```no_run
//! use rama_core::graceful::Shutdown;
//! use std::time::Duration;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let shutdown = Shutdown::default(); // SIGINT or SIGTERM
//! shutdown.spawn_task_fn(async |guard| {
//!     // accept loop: stop accepting once `guard.cancelled()` resolves,
//!     // spawn each connection with `guard.spawn_task(..)`
//!     guard.cancelled().await;
//! });
//! match shutdown.shutdown_with_limit(Duration::from_secs(30)).await {
//!     Ok(took) => eprintln!("clean shutdown in {took:?}"),
//!     Err(err) => eprintln!("{err}"),
//! }
//! # }
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::{fmt, time::Duration};
use tokio::{task::JoinHandle, time::Instant};
use tokio_util::{
    sync::{CancellationToken, WaitForCancellationFutureOwned},
    task::TaskTracker,
};

/// The shutdown signal: tokio-util's [`CancellationToken`] to wait on, and a flag to ask.
///
/// `CancellationToken::is_cancelled` takes the token's lock, and every connection of a
/// server shares the token: a server that asks once per request (HTTP/1 keep-alive does)
/// from a runtime per core wrote the lock's cache line from every core, on every request.
/// The flag is written once, when shutdown begins, so reading it stays in each core's
/// cache.
#[derive(Debug, Clone)]
struct Signal {
    token: CancellationToken,
    begun: Arc<AtomicBool>,
}

impl Signal {
    fn new() -> Self {
        Self {
            token: CancellationToken::new(),
            begun: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Begins the shutdown: the flag first, so that whoever wakes from
    /// [`cancelled`](Self::cancelled) also sees [`is_cancelled`](Self::is_cancelled).
    fn cancel(&self) {
        self.begun.store(true, Ordering::Release);
        self.token.cancel();
    }

    fn is_cancelled(&self) -> bool {
        self.begun.load(Ordering::Acquire)
    }

    fn cancelled(&self) -> WaitForCancellationFutureOwned {
        self.token.clone().cancelled_owned()
    }
}

/// Owns the shutdown signal and the set of in-flight tasks.
#[derive(Debug)]
pub struct Shutdown {
    token: Signal,
    tracker: TaskTracker,
}

impl Default for Shutdown {
    /// Shut down on SIGINT (Ctrl-C) or, on unix, SIGTERM. Must be called within a tokio runtime.
    fn default() -> Self {
        Self::new(default_signal())
    }
}

impl Shutdown {
    /// Shut down once `signal` completes (or [`ShutdownTrigger::trigger`] is called).
    ///
    /// Spawns a task that waits for `signal`, so it must be called within a tokio runtime.
    pub fn new(signal: impl Future<Output = ()> + Send + 'static) -> Self {
        let token = Signal::new();
        let watcher = token.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = signal => {
                    tracing::info!("shutdown signal received: stop accepting, drain in-flight work");
                    watcher.cancel();
                }
                () = watcher.cancelled() => {}
            }
        });
        Self {
            token,
            tracker: TaskTracker::new(),
        }
    }

    /// Shut down only when [`ShutdownTrigger::trigger`] is called: for tests and embedding.
    #[must_use]
    pub fn manual() -> Self {
        Self {
            token: Signal::new(),
            tracker: TaskTracker::new(),
        }
    }

    /// A handle that starts the shutdown from code.
    #[must_use]
    pub fn trigger(&self) -> ShutdownTrigger {
        ShutdownTrigger(self.token.clone())
    }

    /// A guard for listeners and connection tasks.
    #[must_use]
    pub fn guard(&self) -> ShutdownGuard {
        ShutdownGuard {
            token: self.token.clone(),
            tracker: self.tracker.clone(),
        }
    }

    /// Spawn a tracked task: shutdown waits for it.
    pub fn spawn_task<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future<Output: Send + 'static> + Send + 'static,
    {
        self.tracker.spawn(future)
    }

    /// Spawn a tracked task that receives a [`ShutdownGuard`].
    pub fn spawn_task_fn<F, Fut>(&self, f: F) -> JoinHandle<Fut::Output>
    where
        F: FnOnce(ShutdownGuard) -> Fut,
        Fut: Future<Output: Send + 'static> + Send + 'static,
    {
        self.tracker.spawn(f(self.guard()))
    }

    /// Wait for the signal, then for every tracked task. Returns how long the drain took.
    pub async fn shutdown(self) -> Duration {
        self.token.cancelled().await;
        let start = Instant::now();
        self.tracker.close();
        self.tracker.wait().await;
        start.elapsed()
    }

    /// Like [`shutdown`](Self::shutdown), but give up on the tasks still running `limit`
    /// after the signal.
    pub async fn shutdown_with_limit(self, limit: Duration) -> Result<Duration, ShutdownTimeout> {
        self.token.cancelled().await;
        let start = Instant::now();
        self.tracker.close();
        match tokio::time::timeout(limit, self.tracker.wait()).await {
            Ok(()) => Ok(start.elapsed()),
            Err(_) => Err(ShutdownTimeout {
                limit,
                remaining: self.tracker.len(),
            }),
        }
    }
}

/// In-flight tasks were still running when the shutdown deadline passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownTimeout {
    limit: Duration,
    remaining: usize,
}

impl ShutdownTimeout {
    /// The deadline that passed.
    #[must_use]
    pub const fn limit(&self) -> Duration {
        self.limit
    }

    /// How many tracked tasks were still running.
    #[must_use]
    pub const fn remaining(&self) -> usize {
        self.remaining
    }
}

impl fmt::Display for ShutdownTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "graceful shutdown deadline of {:?} passed with {} task(s) still running",
            self.limit, self.remaining
        )
    }
}

impl std::error::Error for ShutdownTimeout {}

/// Starts a shutdown from code.
#[derive(Debug, Clone)]
pub struct ShutdownTrigger(Signal);

impl ShutdownTrigger {
    /// Start the shutdown: guards see it, listeners stop accepting.
    pub fn trigger(&self) {
        self.0.cancel();
    }
}

/// Held by listeners and connection tasks: spawns tracked tasks, tells when shutdown began.
#[derive(Debug, Clone)]
pub struct ShutdownGuard {
    token: Signal,
    tracker: TaskTracker,
}

impl ShutdownGuard {
    /// Resolves once shutdown has begun.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: use it in `select!` next to `accept()`.
    pub fn cancelled(&self) -> impl Future<Output = ()> + Send + 'static {
        self.token.cancelled()
    }

    /// Whether shutdown has begun.
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }

    /// A clonable signal without the power to spawn tracked tasks: put it in a stream's
    /// extensions so protocols can react (HTTP/1 closes keep-alive, h2 sends GOAWAY).
    #[must_use]
    pub fn signal(&self) -> ShutdownSignal {
        ShutdownSignal(self.token.clone())
    }

    /// Spawn a tracked task: shutdown waits for it.
    pub fn spawn_task<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future<Output: Send + 'static> + Send + 'static,
    {
        self.tracker.spawn(future)
    }

    /// Resolves once shutdown has begun (and [`Shutdown::shutdown`] or
    /// [`Shutdown::shutdown_with_limit`] is draining) and every tracked task has finished.
    ///
    /// For a thread that runs its own runtime: its tracked tasks live on that runtime, so it
    /// must keep the runtime running until they are done, not only until it stops accepting.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub fn drained(&self) -> impl Future<Output = ()> + Send + 'static {
        let tracker = self.tracker.clone();
        async move { tracker.wait().await }
    }

    /// Spawn a tracked task that receives a clone of this guard.
    pub fn spawn_task_fn<F, Fut>(&self, f: F) -> JoinHandle<Fut::Output>
    where
        F: FnOnce(Self) -> Fut,
        Fut: Future<Output: Send + 'static> + Send + 'static,
    {
        self.tracker.spawn(f(self.clone()))
    }
}

/// Tells when shutdown began; cheap to clone. See [`ShutdownGuard::signal`].
#[derive(Debug, Clone)]
pub struct ShutdownSignal(Signal);

impl ShutdownSignal {
    /// Resolves once shutdown has begun.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub fn cancelled(&self) -> impl Future<Output = ()> + Send + 'static {
        self.0.cancelled()
    }

    /// Whether shutdown has begun.
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.0.is_cancelled()
    }
}

/// Spawns tasks, tracked for graceful shutdown when built with a guard.
#[derive(Debug, Clone, Default)]
pub struct Executor {
    guard: Option<ShutdownGuard>,
}

impl Executor {
    /// An executor whose tasks are plain `tokio::spawn` tasks.
    #[must_use]
    pub const fn new() -> Self {
        Self { guard: None }
    }

    /// An executor whose tasks are tracked by `guard`'s shutdown.
    #[must_use]
    pub const fn graceful(guard: ShutdownGuard) -> Self {
        Self { guard: Some(guard) }
    }

    /// Spawn a task, tracked when this executor is graceful.
    pub fn spawn_task<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future<Output: Send + 'static> + Send + 'static,
    {
        match &self.guard {
            Some(guard) => guard.spawn_task(future),
            None => tokio::spawn(future),
        }
    }

    /// The guard, when graceful.
    #[must_use]
    pub const fn guard(&self) -> Option<&ShutdownGuard> {
        self.guard.as_ref()
    }
}

/// Resolves on SIGINT (Ctrl-C) or, on unix, SIGTERM.
///
/// On unix the handlers are installed when this function is called, not when the future is
/// first polled: a signal that arrives between the two (a script sends SIGTERM as soon as it
/// has read the listening address) is not lost, and does not kill the process with the
/// default disposition. Must be called within a tokio runtime. If a handler cannot be
/// installed the error is logged and that signal is ignored.
pub fn default_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let install = |kind: SignalKind, name: &'static str| match signal(kind) {
            Ok(sig) => Some(sig),
            Err(err) => {
                tracing::error!(%err, "cannot listen for {name}");
                None
            }
        };
        let interrupt = install(SignalKind::interrupt(), "SIGINT");
        let terminate = install(SignalKind::terminate(), "SIGTERM");
        async move {
            let wait = async |sig: Option<tokio::signal::unix::Signal>| match sig {
                Some(mut sig) => {
                    sig.recv().await;
                }
                None => std::future::pending::<()>().await,
            };
            tokio::select! {
                () = wait(interrupt) => tracing::info!("received SIGINT (Ctrl-C)"),
                () = wait(terminate) => tracing::info!("received SIGTERM"),
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            if let Err(err) = tokio::signal::ctrl_c().await {
                tracing::error!(%err, "cannot listen for Ctrl-C");
                std::future::pending::<()>().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[tokio::test]
    async fn shutdown_waits_for_tracked_tasks() {
        let shutdown = Shutdown::manual();
        let done = Arc::new(AtomicUsize::new(0));
        for _ in 0..10 {
            let done = done.clone();
            shutdown.spawn_task_fn(async move |guard| {
                guard.cancelled().await;
                tokio::time::sleep(Duration::from_millis(20)).await;
                done.fetch_add(1, Ordering::SeqCst);
            });
        }
        shutdown.trigger().trigger();
        shutdown
            .shutdown_with_limit(Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(done.load(Ordering::SeqCst), 10);
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_gives_up_after_the_limit() {
        let shutdown = Shutdown::new(async {});
        let guard = shutdown.guard();
        guard.spawn_task(std::future::pending::<()>());
        let err = shutdown
            .shutdown_with_limit(Duration::from_secs(1))
            .await
            .unwrap_err();
        assert_eq!(err.remaining(), 1);
        assert_eq!(err.limit(), Duration::from_secs(1));
    }

    /// Without up-front registration the SIGTERM below would kill the test process.
    #[cfg(unix)]
    #[tokio::test]
    async fn default_signal_catches_a_signal_sent_before_the_first_poll() {
        let signal = default_signal();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &std::process::id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        tokio::time::timeout(Duration::from_secs(5), signal)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn drained_resolves_after_shutdown_and_the_last_task() {
        let shutdown = Shutdown::manual();
        let guard = shutdown.guard();
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        guard.spawn_task(async move {
            let _ = released.await;
        });
        let drained = tokio::spawn(guard.drained());
        let trigger = shutdown.trigger();
        let shutting_down = tokio::spawn(shutdown.shutdown());
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!drained.is_finished(), "no shutdown yet");
        trigger.trigger();
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!drained.is_finished(), "a task is still running");
        release.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(5), drained)
            .await
            .unwrap()
            .unwrap();
        shutting_down.await.unwrap();
    }

    #[tokio::test]
    async fn signal_and_executor_follow_the_guard() {
        let shutdown = Shutdown::manual();
        let guard = shutdown.guard();
        let signal = guard.signal();
        let exec = Executor::graceful(guard);
        let task = exec.spawn_task(async move {
            signal.cancelled().await;
            7
        });
        assert!(!exec.guard().unwrap().is_cancelled());
        shutdown.trigger().trigger();
        assert_eq!(task.await.unwrap(), 7);
        shutdown.shutdown().await;
        assert_eq!(Executor::new().spawn_task(async { 1 }).await.unwrap(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_woken_waiter_sees_the_shutdown_begun() {
        // the flag `is_cancelled` reads is set before the token wakes anyone
        for _ in 0..50 {
            let shutdown = Shutdown::manual();
            let signal = shutdown.guard().signal();
            assert!(!signal.is_cancelled());
            let waiter = tokio::spawn({
                let signal = signal.clone();
                async move {
                    signal.cancelled().await;
                    signal.is_cancelled()
                }
            });
            tokio::task::yield_now().await;
            shutdown.trigger().trigger();
            assert!(waiter.await.unwrap());
            assert!(signal.is_cancelled());
            assert!(shutdown.guard().is_cancelled());
        }
    }
}
