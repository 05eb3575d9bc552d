//! The page as a whole: self-contained, well-formed charts, figures that
//! match `timeseries.csv`, the quota line at the quota, the same bytes for
//! the same run.
