//! The HTTP server: one listener per personality on loopback, the admin API and the PSA API on
//! the same port, and the per-request pipeline (body limit, faults, routing, journal).

use crate::admin;
use crate::dialect::{api_for, PsaRequest, RequestCtx};
use crate::guard::{self, AdminAccess};
use crate::journal::Exchange;
use crate::limits;
use crate::personality::Personality;
use crate::rejection::{self, check_input, read_body};
use crate::seed::SeedDocument;
use crate::state::{AppState, MockState, Settings};
use crate::tls::TlsIdentity;
use crate::unparsed::{Rewriting, UnparsedReplies};
use axum::body::Body;
use axum::response::{IntoResponse, Response};
use axum::Router;
use bytes::Bytes;
use futures_util::FutureExt;
use http::{HeaderValue, Request, StatusCode};
use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Notify, Semaphore};
use tower::ServiceExt;

/// What the connection that carried a request knows of it, handed to the pipeline as it is
/// (not through the request's extensions, which would cost a map per request).
#[derive(Clone)]
struct Conn {
    /// Which listener: links and hrefs use the scheme the client used.
    scheme: &'static str,
    /// Closes the connection without an answer (fault `drop`).
    kill: Arc<Notify>,
}

/// Everything a request is served with; one per listener pair, shared by every connection.
struct App {
    state: AppState,
    admin_router: Router,
    access: AdminAccess,
    conns: ConnectionLimits,
}

/// Options for starting one personality.
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Address to listen on; `None` is 127.0.0.1. Anything but a loopback address needs
    /// `admin_token` (the admin API would otherwise be open to the network).
    pub host: Option<IpAddr>,
    /// When set, every `/__admin/` request but `GET /__admin/ui` must carry it (`Authorization: Bearer <token>` or
    /// `X-Admin-Token`), and its `Host` may then be any name.
    pub admin_token: Option<String>,
    pub connections: ConnectionLimits,
    pub settings: Option<Settings>,
    /// Seed applied after the default lookups.
    pub seed: Option<SeedDocument>,
    /// Also serve HTTPS (same state, same routes) on a second port.
    pub tls: Option<TlsOptions>,
}

/// Connection hygiene: how long a client may take, and how many connections may be open.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// A connection must deliver a complete request head within this time of opening or of
    /// its previous answer, or it is closed (within a quarter more): this is both the
    /// header-read timeout and the keep-alive idle timeout.
    pub header_timeout: Duration,
    /// A request body must arrive whole within this time of its head (else 408, then close).
    pub body_timeout: Duration,
    /// Connections served at once per listener; further ones wait in the accept backlog.
    pub max_connections: usize,
    /// hyper's HTTP/1 read buffer: a head must fit in it to reach the mock at all (past it,
    /// hyper answers a bare 431). Kept above `limits.max_head_bytes`, so the mock refuses an
    /// over-long head itself, in the surface's own error format.
    pub head_buffer_bytes: usize,
    /// Most header lines hyper parses in one head; past it, 431 in the surface's error format
    /// (`unparsed`). hyper's own default, 100: each request initialises an array of this many
    /// entries, so a larger figure costs every request (1,000 cost about 6% of a GET's CPU).
    pub max_headers: usize,
}

/// hyper's own header-line limit when none is set.
const HYPER_MAX_HEADERS: usize = 100;

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(30),
            max_connections: 512,
            head_buffer_bytes: limits::HARD_MAX_HEAD_BYTES + 64 * 1024,
            max_headers: HYPER_MAX_HEADERS,
        }
    }
}

/// The optional HTTPS listener, for clients that insist on https (connectwise-rest).
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// Port on 127.0.0.1 for HTTPS; 0 picks a free one.
    pub port: u16,
    /// Certificate to present; `None` generates one (share one across personalities so a
    /// client trusts a single CA).
    pub identity: Option<TlsIdentity>,
}

/// A running personality. Dropping it stops the listeners.
pub struct MockServer {
    addr: SocketAddr,
    https: Option<(SocketAddr, TlsIdentity)>,
    state: AppState,
    shutdown: Vec<oneshot::Sender<()>>,
}

impl MockServer {
    /// Binds 127.0.0.1 and starts serving in the background on the current tokio runtime.
    pub async fn start(
        personality: Personality,
        options: ServerOptions,
    ) -> anyhow::Result<MockServer> {
        let host = options.host.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        if !host.is_loopback() && options.admin_token.is_none() {
            anyhow::bail!(
                "refusing to listen on {host} without an admin token: anyone who can reach it could rewrite the mock (set --admin-token or MOCK_PSA_ADMIN_TOKEN)"
            );
        }
        let settings = options
            .settings
            .unwrap_or_else(|| Settings::for_personality(personality));
        settings
            .limits
            .validate()
            .map_err(|e| anyhow::anyhow!("settings: {e}"))?;
        let state: AppState = Arc::new(MockState::new(personality, settings));
        admin::reset_world(&state);
        if let Some(seed) = &options.seed {
            admin::apply_seed(&state, seed).map_err(|e| anyhow::anyhow!("seed: {e}"))?;
        }
        let listener = TcpListener::bind((host, options.port)).await?;
        let addr = listener.local_addr()?;
        let access = AdminAccess {
            token: options.admin_token.clone(),
        };
        let conns = options.connections;
        let app = build_app(state.clone(), access, conns);
        let unparsed = Arc::new(UnparsedReplies::for_dialect(api_for(personality.dialect())).await);
        let mut shutdown = Vec::new();
        let https = match options.tls {
            Some(tls) => {
                let identity = match tls.identity {
                    Some(i) => i,
                    None => TlsIdentity::generate()?,
                };
                let listener = TcpListener::bind((host, tls.port)).await?;
                let https_addr = listener.local_addr()?;
                let (tx, rx) = oneshot::channel();
                tokio::spawn(accept_loop(
                    listener,
                    (app.clone(), unparsed.clone()),
                    Some(identity.acceptor()),
                    conns,
                    rx,
                ));
                shutdown.push(tx);
                Some((https_addr, identity))
            }
            None => None,
        };
        let (tx, rx) = oneshot::channel();
        tokio::spawn(accept_loop(listener, (app, unparsed), None, conns, rx));
        shutdown.push(tx);
        Ok(MockServer {
            addr,
            https,
            state,
            shutdown,
        })
    }

    pub fn personality(&self) -> Personality {
        self.state.personality
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The API root a client of this PSA is configured with.
    pub fn api_url(&self) -> String {
        format!("{}{}", self.origin(), self.personality().api_root())
    }

    /// `http://127.0.0.1:PORT/__admin`
    pub fn admin_url(&self) -> String {
        format!("{}/__admin", self.origin())
    }

    /// The HTTPS listener's address, when started with [`ServerOptions::tls`].
    pub fn https_addr(&self) -> Option<SocketAddr> {
        self.https.as_ref().map(|(a, _)| *a)
    }

    /// `https://127.0.0.1:PORT`, when serving HTTPS.
    pub fn https_origin(&self) -> Option<String> {
        self.https_addr().map(|a| format!("https://{a}"))
    }

    /// The API root over HTTPS, when serving HTTPS.
    pub fn https_api_url(&self) -> Option<String> {
        self.https_origin()
            .map(|o| format!("{o}{}", self.personality().api_root()))
    }

    /// The certificate authority HTTPS clients must trust, when serving HTTPS.
    pub fn tls_identity(&self) -> Option<&TlsIdentity> {
        self.https.as_ref().map(|(_, i)| i)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Installs a fault rule written as `POST /__admin/faults` takes it; returns its id.
    pub fn add_fault(&self, rule: serde_json::Value) -> Result<u64, String> {
        let rule = serde_json::from_value(rule).map_err(|e| format!("fault rule: {e}"))?;
        self.state.world().faults.add(rule)
    }

    /// Stops accepting connections.
    pub fn stop(&mut self) {
        for tx in self.shutdown.drain(..) {
            let _ = tx.send(());
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The app and its answers to requests hyper cannot parse ([`crate::unparsed`]).
type Service = (Arc<App>, Arc<UnparsedReplies>);

async fn accept_loop(
    listener: TcpListener,
    service: Service,
    tls: Option<tokio_rustls::TlsAcceptor>,
    conns: ConnectionLimits,
    mut shutdown: oneshot::Receiver<()>,
) {
    let open = Arc::new(Semaphore::new(conns.max_connections.max(1)));
    loop {
        // At the cap, the next connection waits in the kernel's backlog until one closes.
        let permit = tokio::select! {
            _ = &mut shutdown => return,
            permit = open.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => return,
            },
        };
        let stream = tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let (app, unparsed) = (service.0.clone(), service.1.clone());
        let tls = tls.clone();
        tokio::spawn(async move {
            let _permit = permit;
            match tls {
                // The handshake runs in the connection's own task, so a slow or failed one
                // never holds up the accept loop; it gets the header timeout too.
                Some(acceptor) => {
                    match tokio::time::timeout(conns.header_timeout, acceptor.accept(stream)).await
                    {
                        Ok(Ok(stream)) => {
                            serve_connection(Rewriting::new(stream, unparsed), app, "https", conns)
                                .await
                        }
                        Ok(Err(e)) => tracing::debug!("TLS handshake failed: {e}"),
                        Err(_) => tracing::debug!("TLS handshake timed out"),
                    }
                }
                None => {
                    serve_connection(Rewriting::new(stream, unparsed), app, "http", conns).await
                }
            }
        });
    }
}

/// What a connection's watchdog reads: requests begun (their head read) and answered. hyper
/// serves one request at a time on a connection, so they differ by one while one is served.
#[derive(Default)]
struct Activity {
    begun: AtomicU64,
    answered: AtomicU64,
}

/// Quarters of the header timeout a connection may sit idle: it is closed between one and
/// one and a quarter header timeouts after its last head or answer.
const IDLE_TICKS: u32 = 4;

/// Returns once the connection has gone a header timeout with no request in hand and no head
/// read or answer given (since it opened, or since its last answer): the header-read and
/// keep-alive idle timeout in one. One timer a connection, ticking a quarter of the timeout,
/// instead of hyper's own, which arms a timer for every request (5-7% of a GET by id, measured
/// with bench_wire; docs/decisions.md, "Connection timeouts").
async fn idle_out(activity: &Activity, timeout: Duration) {
    let mut ticks = tokio::time::interval((timeout / IDLE_TICKS).max(Duration::from_millis(1)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    let (mut seen, mut idle) = (None, 0);
    loop {
        ticks.tick().await;
        let begun = activity.begun.load(Ordering::Relaxed);
        let answered = activity.answered.load(Ordering::Relaxed);
        // Idle is counted from the tick after the last head or answer, so a connection gets
        // its whole timeout after either.
        if begun != answered || seen != Some((begun, answered)) {
            (seen, idle) = (Some((begun, answered)), 0);
        } else {
            idle += 1;
            if idle >= IDLE_TICKS {
                return;
            }
        }
    }
}

async fn serve_connection<S>(io: S, app: Arc<App>, scheme: &'static str, conns: ConnectionLimits)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let kill = Arc::new(Notify::new());
    let conn = Conn {
        scheme,
        kill: kill.clone(),
    };
    let activity = Arc::new(Activity::default());
    let counted = activity.clone();
    let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
        let (app, conn, activity) = (app.clone(), conn.clone(), counted.clone());
        activity.begun.fetch_add(1, Ordering::Relaxed);
        async move {
            let resp = app.serve(req.map(Body::new), &conn).await;
            activity.answered.fetch_add(1, Ordering::Relaxed);
            Ok::<_, std::convert::Infallible>(resp)
        }
    });
    // `Date` comes from the virtual clock (set in the pipeline), not the wall clock.
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .keep_alive(true)
        .auto_date_header(false)
        // The header timeout is `idle_out`'s, one timer a connection.
        .header_read_timeout(None)
        .max_buf_size(conns.head_buffer_bytes.max(8192))
        // A client may finish sending and wait for the answer (a truncated body is then
        // answered 400 instead of the connection being dropped).
        .half_close(true);
    // Any figure set, even hyper's own, makes hyper fill its header arrays for every request
    // (its default leaves them uninitialised): set only a figure of our own.
    if conns.max_headers != HYPER_MAX_HEADERS {
        builder.max_headers(conns.max_headers);
    }
    let conn = builder.serve_connection(TokioIo::new(io), service);
    tokio::select! {
        _ = conn => {}
        // Dropping the connection future closes the socket without a response.
        _ = kill.notified() => {}
        _ = idle_out(&activity, conns.header_timeout) => {}
    }
}

fn build_app(state: AppState, access: AdminAccess, conns: ConnectionLimits) -> Arc<App> {
    // The pipeline reads every body within its setting (`limits.max_seed_bytes` for the admin
    // API) before the router sees it; axum's own 2 MB default under it would be a second,
    // hidden limit (it had refused any seed over 2 MB).
    let no_second_limit = axum::extract::DefaultBodyLimit::disable();
    Arc::new(App {
        admin_router: admin::router()
            .layer(no_second_limit)
            .with_state(state.clone()),
        state,
        access,
        conns,
    })
}

impl App {
    /// One request, admin or PSA.
    async fn serve(&self, req: Request<Body>, conn: &Conn) -> Response {
        let reads_only = matches!(req.method().as_str(), "GET" | "HEAD" | "OPTIONS");
        let state = &self.state;
        let resp = if req.uri().path().starts_with("/__admin") {
            handle_admin(self, conn, req).await
        } else {
            let settings = state.settings();
            limits::scope(settings.limits, handle_psa(self, conn, req, settings)).await
        };
        // The state file (serve --state) follows every request that may have written.
        if !reads_only {
            state.changed();
        }
        resp
    }
}

/// Every admin request: the access checks, the body read within the seed limit, the route,
/// and one error shape for whatever goes wrong on the way.
async fn handle_admin(app: &App, conn: &Conn, req: Request<Body>) -> Response {
    let (state, conns) = (&app.state, app.conns);
    let (parts, body) = req.into_parts();
    if let Err((status, message)) = guard::check(&parts, &app.access, conn.scheme) {
        return admin::error(status, &message);
    }
    let limits = state.settings().limits;
    if let Err(r) = rejection::check_head(&parts, &limits) {
        return rejection::finish(admin::error(r.status, &r.message), &r);
    }
    let method = parts.method.to_string();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or("");
    let json_depth = Some(match path.as_str() {
        "/__admin/seed" => limits.max_seed_depth,
        _ => limits.max_json_depth,
    });
    let checked = match read_body(body, limits.max_seed_bytes, conns.body_timeout).await {
        Ok(bytes) => check_input(query, &bytes, &limits, json_depth).map(|()| bytes),
        Err(r) => Err(r),
    };
    let bytes = match checked {
        Ok(b) => b,
        Err(r) => return rejection::finish(admin::error(r.status, &r.message), &r),
    };
    let req = Request::from_parts(parts, Body::from(bytes));
    let router = app.admin_router.clone();
    let resp = match AssertUnwindSafe(router.oneshot(req)).catch_unwind().await {
        Ok(Ok(resp)) => resp,
        Ok(Err(never)) => match never {},
        Err(_) => admin::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the mock failed to handle this admin request",
        ),
    };
    rejection::as_surface_error(resp, &method, &path, admin::error).await
}

/// An HTTP `Date` (IMF-fixdate) for Unix seconds: `Mon, 01 Jan 2024 00:00:00 GMT`.
fn http_date(unix: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let stamp = crate::clock::format_rfc3339(unix); // YYYY-MM-DDTHH:MM:SSZ
    let weekday = DAYS[unix.div_euclid(86_400).rem_euclid(7) as usize];
    let month = stamp
        .get(5..7)
        .and_then(|m| m.parse::<usize>().ok())
        .and_then(|m| MONTHS.get(m.wrapping_sub(1)))
        .copied()
        .unwrap_or("Jan");
    format!(
        "{weekday}, {} {month} {} {} GMT",
        stamp.get(8..10).unwrap_or("01"),
        stamp.get(0..4).unwrap_or("1970"),
        stamp.get(11..19).unwrap_or("00:00:00")
    )
}

/// The `Date` header of virtual second `unix`, formatted once per second per worker thread
/// (the virtual clock stands still between requests, so most requests share one).
fn date_header(unix: i64) -> Option<HeaderValue> {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(i64, HeaderValue)>> = const { std::cell::RefCell::new(None) };
    }
    LAST.with_borrow_mut(|last| match last {
        Some((at, v)) if *at == unix => Some(v.clone()),
        _ => {
            let v = HeaderValue::from_str(&http_date(unix)).ok()?;
            *last = Some((unix, v.clone()));
            Some(v)
        }
    })
}

/// The pipeline of every PSA request: read the body within the limit, consult the fault rules,
/// authenticate, route, and journal the exchange. Panics become the dialect's 500.
async fn handle_psa(
    app: &App,
    conn: &Conn,
    req: Request<Body>,
    settings: Arc<Settings>,
) -> Response {
    let (state, conns) = (&app.state, app.conns);
    let api = api_for(state.personality.dialect());
    let (parts, body) = req.into_parts();
    // What the journal and the fault rules see: the request as the client sent it (a `Uri`
    // clone shares its buffer).
    let uri = parts.uri.clone();
    let method = parts.method.clone();
    let path = uri.path();
    let query = uri.query().unwrap_or("");

    let checked = match rejection::check_head(&parts, &settings.limits) {
        Ok(()) => match read_body(body, settings.max_body_bytes, conns.body_timeout).await {
            Ok(b) => check_input(query, &b, &settings.limits, None).map(|()| b),
            Err(r) => Err(r),
        },
        Err(r) => Err(r),
    };
    let (body_bytes, early) = match checked {
        Ok(b) => (b, None),
        Err(r) => (
            Bytes::new(),
            Some(rejection::finish(
                api.error_at(path, r.status, &r.message),
                &r,
            )),
        ),
    };

    // One hold of the world lock for both: whether a fault rule fires, and whether the journal
    // keeps entries (a settings change applies from the next request, as with Settings).
    let (fault, keeps) = {
        let mut world = state.world();
        let fault = world.faults.check(&crate::faults::FaultRequest {
            method: method.as_str(),
            path,
            query,
            body: &body_bytes,
        });
        (fault, world.journal.keeps_entries())
    };
    let mut fault_id = None;
    let mut response = if let Some(resp) = early {
        resp
    } else if let Some(action) = fault {
        fault_id = Some(action.rule);
        if action.latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(action.latency_ms)).await;
        }
        if action.landed {
            // The PSA does the work and keeps it; only the reply is lost or replaced.
            dispatch(app, conn, parts.clone(), body_bytes.clone(), &settings).await;
        }
        if action.drop {
            record(
                state,
                &method,
                &uri,
                0,
                &body_bytes,
                &Bytes::new(),
                fault_id,
            );
            conn.kill.notify_one();
            return std::future::pending().await;
        }
        let mut resp = match action.status {
            Some(status) => {
                let status =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                match action.body {
                    Some(body) => (status, axum::Json(body)).into_response(),
                    None => api.error_at(uri.path(), status, "injected fault"),
                }
            }
            // No status: the request goes on to the PSA, with any latency and Retry-After.
            None => dispatch(app, conn, parts, body_bytes.clone(), &settings).await,
        };
        if let Some(secs) = action.retry_after {
            resp.headers_mut()
                .insert("retry-after", HeaderValue::from(secs));
        }
        resp
    } else {
        dispatch(app, conn, parts, body_bytes.clone(), &settings).await
    };

    if method == http::Method::HEAD {
        // Whatever answered, a HEAD answer is the GET's head alone: its length stated, no
        // body sent or journaled.
        let len = hyper::body::Body::size_hint(response.body()).exact();
        if let Some(n) = len {
            response
                .headers_mut()
                .insert(http::header::CONTENT_LENGTH, HeaderValue::from(n));
        }
        *response.body_mut() = Body::empty();
    }

    // The body is gathered only when the journal keeps it (handlers answer whole bodies, so
    // this is one buffer, not a copy); otherwise the response goes out as it is.
    let (mut resp_parts, resp_body) = response.into_parts();
    let (resp_body, resp_bytes) = if keeps {
        let bytes = gather(resp_body).await;
        (Body::from(bytes.clone()), bytes)
    } else {
        (resp_body, Bytes::new())
    };
    let now = record(
        state,
        &method,
        &uri,
        resp_parts.status.as_u16(),
        &body_bytes,
        &resp_bytes,
        fault_id,
    );
    // `Date` comes from the virtual clock, not the wall clock.
    if let Some(v) = date_header(now) {
        resp_parts.headers.insert(http::header::DATE, v);
    }
    Response::from_parts(resp_parts, resp_body)
}

/// A whole response body as one buffer: a handler's one frame as it is (no list of frames
/// gathered around it), several joined.
async fn gather(mut body: Body) -> Bytes {
    let mut first = match body.frame().await {
        Some(Ok(frame)) => frame.into_data().unwrap_or_default(),
        _ => return Bytes::new(),
    };
    if hyper::body::Body::is_end_stream(&body) {
        return first;
    }
    let mut all = bytes::BytesMut::from(std::mem::take(&mut first));
    while let Some(Ok(frame)) = body.frame().await {
        if let Ok(data) = frame.into_data() {
            all.extend_from_slice(&data);
        }
    }
    all.freeze()
}

/// Routes a request through the dialect: its path read once by the dialect's route rules, the
/// credentials checked, and the request (its parts untouched, the routed path beside them)
/// handed to the dialect's handler.
async fn dispatch(
    app: &App,
    conn: &Conn,
    parts: http::request::Parts,
    body: Bytes,
    settings: &Arc<Settings>,
) -> Response {
    let state = &app.state;
    let api = api_for(state.personality.dialect());
    let scheme = conn.scheme;
    let origin = match parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
    {
        // `concat` sizes the string once; `format!` grows it piece by piece, on every request.
        Some(host) => [scheme, "://", host].concat(),
        None => [scheme, "://127.0.0.1"].concat(),
    };
    let Some(routed) = api.route(parts.uri.path(), &origin) else {
        return api.error(
            StatusCode::NOT_FOUND,
            &format!("No resource found at {}", parts.uri.path()),
        );
    };
    if !routed.public {
        if let Err(resp) = api.authenticate(state, settings, &parts, &routed) {
            return resp;
        }
    }
    let req = PsaRequest {
        parts,
        path: routed.path,
        body,
        ctx: RequestCtx {
            origin,
            api_base: routed.api_base,
            settings: settings.clone(),
        },
    };
    match AssertUnwindSafe(api.handle(state.clone(), req))
        .catch_unwind()
        .await
    {
        Ok(resp) => resp,
        Err(_) => api.error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the mock failed to handle this request",
        ),
    }
}

/// Journals one exchange (counters only when the journal keeps no entries); returns the
/// virtual time it was recorded at.
fn record(
    state: &MockState,
    method: &http::Method,
    uri: &http::Uri,
    status: u16,
    req: &Bytes,
    resp: &Bytes,
    fault: Option<u64>,
) -> i64 {
    let mut world = state.world();
    let at = world.clock.now();
    world.journal.record(Exchange {
        at,
        method: method.as_str(),
        path: uri.path(),
        query: uri.query().unwrap_or(""),
        status,
        request_body: req,
        response_body: resp,
        fault,
    });
    at
}

#[cfg(test)]
mod tests {
    use super::{gather, idle_out, Activity, Body};
    use std::sync::atomic::Ordering;
    use std::sync::Arc;
    use std::time::Duration;

    /// When `idle_out` gives up on a connection whose requests begin and end at the given
    /// times (on tokio's paused clock, so the ticks fall exactly), with a 4 s timeout.
    async fn closed_at(requests: &[(u64, Option<u64>)]) -> Option<Duration> {
        let activity = Arc::new(Activity::default());
        let start = tokio::time::Instant::now();
        let watch = tokio::spawn({
            let a = activity.clone();
            async move {
                idle_out(&a, Duration::from_secs(4)).await;
                start.elapsed()
            }
        });
        let mut events: Vec<(u64, bool)> = Vec::new();
        for &(begun, answered) in requests {
            events.push((begun, true));
            events.extend(answered.map(|a| (a, false)));
        }
        events.sort();
        for (at_ms, begins) in events {
            tokio::time::sleep_until(start + Duration::from_millis(at_ms)).await;
            let counter = if begins {
                &activity.begun
            } else {
                &activity.answered
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
        tokio::time::timeout(Duration::from_secs(100), watch)
            .await
            .ok()
            .map(|r| r.unwrap())
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_is_closed_a_whole_timeout_after_its_last_head_or_answer() {
        let secs = |s: f64| Some(Duration::from_secs_f64(s));
        // Nothing sent: ticks each second; closed at the fifth, 1.25 timeouts on.
        assert_eq!(closed_at(&[]).await, secs(5.0));
        // A request in hand across a tick (begun at 0.5 s, answered at 1.5 s): idle counts from
        // the tick after the answer, so the close comes at least 4 s after it.
        assert_eq!(closed_at(&[(500, Some(1_500))]).await, secs(6.0));
        // One begun at 0.5 s and answered at once.
        assert_eq!(closed_at(&[(500, Some(500))]).await, secs(5.0));
        // Requests a second apart keep it open; the last answer at 7.2 s, closed at 12 s.
        let steady: Vec<_> = (0..8)
            .map(|i| (200 + i * 1_000, Some(200 + i * 1_000)))
            .collect();
        assert_eq!(closed_at(&steady).await, secs(12.0));
        // A request never answered (a handler still working) is never cut off.
        assert_eq!(closed_at(&[(500, None)]).await, None);
    }

    #[tokio::test]
    async fn a_body_is_gathered_whole_from_one_frame_or_many() {
        assert_eq!(gather(Body::from("one frame")).await, "one frame");
        assert_eq!(gather(Body::empty()).await, "");
        let chunks = ["a", "", "bc", "def"].map(|c| Ok::<_, std::io::Error>(bytes::Bytes::from(c)));
        let streamed = Body::from_stream(futures_util::stream::iter(chunks));
        assert_eq!(gather(streamed).await, "abcdef");
    }

    #[test]
    fn the_date_header_follows_the_virtual_second() {
        // Again, on, and back: a kept value is reused only for its own second.
        for (second, date) in [
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (1, "Thu, 01 Jan 1970 00:00:01 GMT"),
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        ] {
            assert_eq!(super::date_header(second).unwrap(), date);
        }
    }

    #[test]
    fn http_date_is_imf_fixdate_of_the_virtual_time() {
        assert_eq!(super::http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        // 2024-01-01 was a Monday; 2024-02-29 a Thursday.
        assert_eq!(
            super::http_date(1_704_067_200),
            "Mon, 01 Jan 2024 00:00:00 GMT"
        );
        assert_eq!(
            super::http_date(1_709_210_096),
            "Thu, 29 Feb 2024 12:34:56 GMT"
        );
    }
}
