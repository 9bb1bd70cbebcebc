//! Placeholder: being written.

use super::*;

pub struct BmsV2;

impl DialectApi for BmsV2 {
    fn router(&self) -> Router<AppState> {
        Router::new()
    }
    fn route(&self, _path: &str, _origin: &str) -> Option<Routed> {
        None
    }
    fn authenticate(
        &self,
        _state: &MockState,
        _parts: &Parts,
        _routed: &Routed,
    ) -> Result<(), Response> {
        Ok(())
    }
    fn error(&self, status: StatusCode, message: &str) -> Response {
        use axum::response::IntoResponse;
        (status, message.to_string()).into_response()
    }
    fn seed_defaults(&self, _world: &mut World, _personality: Personality) {}
    fn entity_tables(&self) -> &'static [&'static str] {
        &[]
    }
    fn neutral_create(
        &self,
        _world: &mut World,
        _kind: NeutralKind,
        _fields: &Map<String, Value>,
    ) -> Result<i64, String> {
        Err("not yet".into())
    }
    fn neutral_update(
        &self,
        _world: &mut World,
        _kind: NeutralKind,
        _id: i64,
        _fields: &Map<String, Value>,
    ) -> Result<(), String> {
        Err("not yet".into())
    }
    fn neutral_delete(
        &self,
        _world: &mut World,
        _kind: NeutralKind,
        _id: i64,
    ) -> Result<(), String> {
        Err("not yet".into())
    }
    fn neutral_view(&self, _store: &Store) -> NeutralView {
        NeutralView::new()
    }
}
