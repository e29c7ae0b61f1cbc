//! TLS to PostgreSQL, per libpq `sslmode`, against the test cluster (which serves TLS with a
//! certificate for `127.0.0.1` from a CA made for the run, and admits its TLS-only role over
//! TLS only): `require` encrypts, `verify-full` also checks the CA and the name, `verify-ca`
//! only the CA.

use super::*;
use crate::pg::{PG_TLS_ONLY_USER, Pg};

/// A key=value connection string as the TLS-only role, to `host` (reached at 127.0.0.1).
fn tls_url(pg: &Pg, host: &str, tls: &str) -> String {
    format!(
        "host={host} hostaddr=127.0.0.1 port={} user={PG_TLS_ONLY_USER} password={PG_PASSWORD} \
         dbname=postgres {tls}",
        pg.port()
    )
}

#[test]
fn postgres_tls_require_encrypts_and_verify_full_checks_the_ca_and_the_name() {
    let Some(mut s) = setup(Backend::Postgres, "tls", 0) else {
        return;
    };
    let pg = postgres().unwrap();
    let ca = pg.ca_file().display().to_string();
    let run_with = |s: &mut Setup, url: &str, args: &[&str]| -> Run {
        s.work.set_env("PG_URL", url);
        let run = s.work.run(args);
        run.assert_hides(&[PG_PASSWORD, SECRET]);
        run
    };

    // The role is refused without TLS: what makes the successes below proof of TLS.
    let plain = run_with(
        &mut s,
        &tls_url(pg, "127.0.0.1", "sslmode=disable"),
        &["plan"],
    );
    plain.expect_code(1);
    assert!(plain.stderr.contains("no encryption"), "{plain}");

    // require: encrypted, the certificate not checked (libpq's meaning).
    let url = format!(
        "postgres://{PG_TLS_ONLY_USER}:{PG_PASSWORD}@127.0.0.1:{}/postgres?sslmode=require",
        pg.port()
    );
    run_with(&mut s, &url, APPLY).expect_code(0);
    assert_eq!(s.records(), all_records());

    // verify-full: the CA and the name.
    let full = format!("sslmode=verify-full sslrootcert={ca}");
    run_with(
        &mut s,
        &tls_url(pg, "127.0.0.1", &full),
        &["plan", "--detailed-exitcode"],
    )
    .expect_code(0);
    let wrong_name = run_with(&mut s, &tls_url(pg, "db.example", &full), &["plan"]);
    wrong_name.expect_code(1);
    assert!(
        wrong_name.stderr.contains("certificate not valid for name"),
        "{wrong_name}"
    );
    // Without `sslrootcert`, the system's CAs, which never signed the test CA.
    let system = run_with(
        &mut s,
        &tls_url(pg, "127.0.0.1", "sslmode=verify-full"),
        &["plan"],
    );
    system.expect_code(1);
    assert!(system.stderr.contains("certificate"), "{system}");

    // verify-ca: the CA only, so another name is fine.
    let ca_only = format!("sslmode=verify-ca sslrootcert={ca}");
    run_with(
        &mut s,
        &tls_url(pg, "db.example", &ca_only),
        &["plan", "--detailed-exitcode"],
    )
    .expect_code(0);

    // A missing CA file is named.
    let missing = run_with(
        &mut s,
        &tls_url(
            pg,
            "127.0.0.1",
            "sslmode=verify-full sslrootcert=/nonexistent/ca.pem",
        ),
        &["plan"],
    );
    missing.expect_code(1);
    assert!(
        missing.stderr.contains("cannot read `sslrootcert`"),
        "{missing}"
    );
}
