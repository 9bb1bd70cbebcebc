//! The optional HTTPS listener's identity: a throwaway certificate authority generated at start
//! and a server certificate for `127.0.0.1`, `localhost` and `::1` signed by it.
//!
//! Why a CA and not one self-signed leaf: rustls (webpki) refuses a CA certificate presented as
//! the server's own, and OpenSSL (node) does not treat a non-CA leaf as a trust anchor, so a
//! client trusting one self-signed certificate works with only one of the two. Clients trust
//! [`TlsIdentity::ca_pem`] (e.g. `NODE_EXTRA_CA_CERTS`, or reqwest/rustls root stores).
//!
//! The keys come from the operating system's randomness: they never reach a golden, a journal
//! or any other output the suite compares, so determinism is not at stake.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::sync::Arc;

/// A generated CA and the server configuration presenting a certificate it signed.
#[derive(Clone)]
pub struct TlsIdentity {
    ca_pem: String,
    ca_der: Vec<u8>,
    config: Arc<rustls::ServerConfig>,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity").finish_non_exhaustive()
    }
}

impl TlsIdentity {
    /// Generates a fresh CA and server certificate (ECDSA P-256).
    pub fn generate() -> anyhow::Result<TlsIdentity> {
        let ca_key = KeyPair::generate()?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "mock-psa local CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = ca_params.self_signed(&ca_key)?;

        let leaf_key = KeyPair::generate()?;
        let mut leaf_params = CertificateParams::new(vec![
            "127.0.0.1".to_string(),
            "localhost".to_string(),
            "::1".to_string(),
        ])?;
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, "mock-psa");
        leaf_params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        leaf_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key)?;

        let chain = vec![leaf.der().clone(), ca.der().clone()];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsIdentity {
            ca_pem: ca.pem(),
            ca_der: ca.der().to_vec(),
            config: Arc::new(config),
        })
    }

    /// The CA certificate clients should trust, PEM-encoded.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The CA certificate, DER-encoded (for rustls root stores).
    pub fn ca_der(&self) -> CertificateDer<'static> {
        CertificateDer::from(self.ca_der.clone())
    }

    pub(crate) fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(self.config.clone())
    }
}
