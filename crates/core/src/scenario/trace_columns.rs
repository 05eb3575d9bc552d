//! Which column of a trace holds what: voipsim's own names
//! (`time,app,group_id,openid,event`, and an optional `fault`), or a real
//! log's names mapped by the scenario (`columns = { time = "ts", … }`), so
//! a log is replayed as it was exported, not rewritten first.
//!
//! `app` may be left out when the scenario has one app (every row is that
//! app's); `fault` may always be left out (each join then draws the
//! workload's `faults`).

use std::path::Path;

use super::csv::split_line;
use super::error::ScenarioError;
use super::suggest::nearest;

/// What a trace column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Time,
    App,
    GroupId,
    OpenId,
    Event,
    Fault,
}

impl Column {
    /// In the order the default header lists them.
    pub const ALL: [Column; 6] = [
        Column::Time,
        Column::App,
        Column::GroupId,
        Column::OpenId,
        Column::Event,
        Column::Fault,
    ];

    /// voipsim's own name for the column, and the key of `columns` that
    /// maps it.
    pub fn key(self) -> &'static str {
        match self {
            Column::Time => "time",
            Column::App => "app",
            Column::GroupId => "group_id",
            Column::OpenId => "openid",
            Column::Event => "event",
            Column::Fault => "fault",
        }
    }

    /// Whether a trace must have it.
    fn required(self, single_app: bool) -> bool {
        match self {
            Column::App => !single_app,
            Column::Fault => false,
            _ => true,
        }
    }
}

/// The header names a trace's columns go by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceColumns {
    /// By [`Column::ALL`] order, lowercase (headers match without case).
    names: [String; 6],
}

impl Default for TraceColumns {
    fn default() -> Self {
        TraceColumns {
            names: Column::ALL.map(|c| c.key().to_string()),
        }
    }
}

impl TraceColumns {
    /// The defaults with `mapped` (voipsim's key → the log's name) applied.
    /// Returns the first key that is not a column's, if any.
    pub fn mapped<'a>(
        mapped: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, String> {
        let mut columns = TraceColumns::default();
        for (key, name) in mapped {
            let Some(i) = Column::ALL.iter().position(|c| c.key() == key) else {
                return Err(key.to_string());
            };
            columns.names[i] = name.trim().to_ascii_lowercase();
        }
        Ok(columns)
    }

    /// The header name of `column`.
    pub fn name(&self, column: Column) -> &str {
        &self.names[column as usize]
    }

    /// The header a trace with these names would have, for messages.
    fn header(&self, single_app: bool) -> String {
        Column::ALL
            .iter()
            .filter(|c| c.required(single_app))
            .map(|c| self.name(*c))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Where each column is in one trace's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnIndexes([Option<usize>; 6]);

impl ColumnIndexes {
    /// The field index of `column`, if the trace has it.
    pub fn get(&self, column: Column) -> Option<usize> {
        self.0[column as usize]
    }

    /// How many fields a row must have to reach every present column.
    pub fn needed(&self) -> usize {
        self.0.iter().flatten().max().map_or(0, |i| i + 1)
    }
}

/// Finds the columns in `header` (line `line` of `path`).
pub fn locate(
    header: &str,
    line: usize,
    path: &Path,
    columns: &TraceColumns,
    single_app: bool,
) -> Result<ColumnIndexes, Vec<ScenarioError>> {
    let names: Vec<String> = match split_line(header) {
        Ok(fields) => fields
            .into_iter()
            .map(|f| f.text.to_ascii_lowercase())
            .collect(),
        Err((column, message)) => return Err(vec![ScenarioError::at(path, line, column, message)]),
    };
    let mut indexes = [None; 6];
    let mut missing = Vec::new();
    for (slot, column) in indexes.iter_mut().zip(Column::ALL) {
        let wanted = columns.name(column);
        *slot = names.iter().position(|n| n == wanted);
        if slot.is_none() && column.required(single_app) {
            missing.push(wanted);
        }
    }
    if missing.is_empty() {
        return Ok(ColumnIndexes(indexes));
    }
    let hint = missing
        .iter()
        .filter_map(|m| {
            let unknown = names
                .iter()
                .map(String::as_str)
                .filter(|n| !columns.names.iter().any(|c| c == n));
            nearest(m, unknown).map(|n| format!(" (is `{n}` meant to be `{m}`?)"))
        })
        .collect::<String>();
    let app_note = if !single_app && missing.contains(&columns.name(Column::App)) {
        " (the scenario has several apps, so each row names its app)"
    } else {
        ""
    };
    Err(vec![ScenarioError::at(
        path,
        line,
        1,
        format!(
            "the trace header lacks column(s) {}{hint}{app_note}; the first line must be `{}` (a log with other column names can keep them: map them with `columns` in `arrivals`, like columns = {{ time = \"ts\", group_id = \"room\", openid = \"user\", event = \"action\" }})",
            missing
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", "),
            columns.header(single_app)
        ),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(
        header: &str,
        columns: &TraceColumns,
        single_app: bool,
    ) -> Result<ColumnIndexes, String> {
        locate(header, 1, Path::new("t.csv"), columns, single_app).map_err(|e| e[0].to_string())
    }

    #[test]
    fn a_real_logs_names_are_mapped() {
        let columns = TraceColumns::mapped([
            ("time", "ts"),
            ("group_id", "Room"),
            ("openid", "user"),
            ("event", "action"),
        ])
        .unwrap();
        let found = find("user,ts,action,room", &columns, true).unwrap();
        assert_eq!(found.get(Column::Time), Some(1));
        assert_eq!(found.get(Column::GroupId), Some(3));
        assert_eq!(found.get(Column::OpenId), Some(0));
        assert_eq!(found.get(Column::Event), Some(2));
        assert_eq!(found.get(Column::App), None);
        assert_eq!(found.get(Column::Fault), None);
        assert_eq!(found.needed(), 4);
    }

    #[test]
    fn an_unknown_mapping_key_is_named() {
        assert_eq!(
            TraceColumns::mapped([("user", "u")]),
            Err("user".to_string())
        );
    }

    #[test]
    fn app_is_optional_only_with_one_app() {
        let columns = TraceColumns::default();
        assert!(find("time,group_id,openid,event", &columns, true).is_ok());
        let e = find("time,group_id,openid,event", &columns, false).unwrap_err();
        assert!(
            e.starts_with(
                "t.csv:1:1: the trace header lacks column(s) `app` (the scenario has several apps"
            ),
            "{e}"
        );
        assert!(
            e.contains("must be `time,app,group_id,openid,event`"),
            "{e}"
        );
    }

    #[test]
    fn a_missing_mapped_column_is_named_by_the_logs_name() {
        let columns = TraceColumns::mapped([("time", "ts")]).unwrap();
        let e = find("time,group_id,openid,event", &columns, true).unwrap_err();
        assert!(e.contains("lacks column(s) `ts`;"), "{e}");
        assert!(e.contains("must be `ts,group_id,openid,event`"), "{e}");
    }
}
