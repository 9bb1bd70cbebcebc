//! The five simulated PSAs and the three wire dialects they speak.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A wire dialect: one implementation serves every personality that speaks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dialect {
    /// ConnectWise Manage REST 3.0.
    ConnectWise,
    /// Autotask REST V1.0.
    Autotask,
    /// The BMS V2 API shared by Kaseya BMS, Pulseway PSA and Vorex.
    BmsV2,
}

/// One simulated PSA product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Personality {
    Connectwise,
    Autotask,
    Bms,
    Pulseway,
    Vorex,
}

/// Credentials a personality accepts. Which fields matter depends on the dialect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// ConnectWise company id / BMS-family tenant.
    pub company: String,
    /// ConnectWise public key / Autotask user name / BMS-family user.
    pub user: String,
    /// ConnectWise private key / Autotask secret / BMS-family password.
    pub secret: String,
    /// Autotask integration code; ConnectWise clientId is any non-empty value.
    pub integration_code: String,
}

impl Personality {
    pub const ALL: [Personality; 5] = [
        Personality::Connectwise,
        Personality::Autotask,
        Personality::Bms,
        Personality::Pulseway,
        Personality::Vorex,
    ];

    pub fn dialect(self) -> Dialect {
        match self {
            Personality::Connectwise => Dialect::ConnectWise,
            Personality::Autotask => Dialect::Autotask,
            Personality::Bms | Personality::Pulseway | Personality::Vorex => Dialect::BmsV2,
        }
    }

    /// The short name used on the command line, in scenarios and in golden file names.
    pub fn key(self) -> &'static str {
        match self {
            Personality::Connectwise => "connectwise",
            Personality::Autotask => "autotask",
            Personality::Bms => "bms",
            Personality::Pulseway => "pulseway",
            Personality::Vorex => "vorex",
        }
    }

    /// The product name as the documentation platform shows it in banners and messages.
    pub fn display_name(self) -> &'static str {
        match self {
            Personality::Connectwise => "ConnectWise",
            Personality::Autotask => "Autotask",
            Personality::Bms => "Kaseya BMS",
            Personality::Pulseway => "Pulseway PSA",
            Personality::Vorex => "Vorex PSA",
        }
    }

    /// The default credentials every test and the README use.
    pub fn default_credentials(self) -> Credentials {
        match self.dialect() {
            Dialect::ConnectWise => Credentials {
                company: "acme".into(),
                user: "public".into(),
                secret: "private".into(),
                integration_code: String::new(),
            },
            Dialect::Autotask => Credentials {
                company: String::new(),
                user: "api@example.com".into(),
                secret: "secret".into(),
                integration_code: "INTEGRATIONCODE".into(),
            },
            Dialect::BmsV2 => Credentials {
                company: "acme".into(),
                user: "api".into(),
                secret: "password".into(),
                integration_code: String::new(),
            },
        }
    }

    /// The path a client appends to the server origin to reach the API root.
    pub fn api_root(self) -> &'static str {
        match self.dialect() {
            Dialect::ConnectWise => "/v4_6_release/apis/3.0",
            Dialect::Autotask => "/ATServicesRest/V1.0",
            Dialect::BmsV2 => "/v2",
        }
    }
}

impl fmt::Display for Personality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl FromStr for Personality {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        let alias = match wanted.as_str() {
            "cw" | "connectwise-manage" | "manage" => "connectwise",
            "at" | "datto" => "autotask",
            "kaseya" | "kaseya_bms" | "kaseya-bms" => "bms",
            "pulseway_psa" | "pulseway-psa" => "pulseway",
            "vorex_psa" | "vorex-psa" => "vorex",
            other => other,
        };
        Personality::ALL
            .into_iter()
            .find(|p| p.key() == alias)
            .ok_or_else(|| {
                format!("unknown PSA `{s}`: expected one of connectwise, autotask, bms, pulseway, vorex")
            })
    }
}
