//! Placeholder: being written.

use crate::psa::*;
use async_trait::async_trait;
use mock_psa::Personality;

pub struct BmsClient {
    conn: Connection,
}

impl BmsClient {
    pub fn new(conn: Connection) -> Self {
        BmsClient { conn }
    }
}

#[async_trait]
impl PsaClient for BmsClient {
    fn personality(&self) -> Personality {
        self.conn.personality
    }
    async fn connect(&mut self) -> Result<(), PsaError> {
        Err(PsaError::Unmappable("not yet".into()))
    }
    async fn list(&mut self, _kind: Kind) -> Result<Vec<PsaRecord>, PsaError> {
        Err(PsaError::Unmappable("not yet".into()))
    }
    async fn create(
        &mut self,
        _kind: Kind,
        _fields: &Fields,
        _ctx: &PushContext,
    ) -> Result<String, PsaError> {
        Err(PsaError::Unmappable("not yet".into()))
    }
    async fn update(
        &mut self,
        _kind: Kind,
        _id: &str,
        _changed: &Fields,
        _ctx: &PushContext,
    ) -> Result<(), PsaError> {
        Err(PsaError::Unmappable("not yet".into()))
    }
}
