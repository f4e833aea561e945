import Foundation

/// The sweep's results table, as CoOp's parse_test_res.py reports them: per dataset the
/// mean and standard deviation over seeds (population std, numpy's default) of each
/// accuracy, for base2new also H = 2·B·N/(B+N) of the mean Base and New accuracies (the
/// paper's convention), and the average over datasets. One table per setting (shots and
/// config-axis values).
public struct SweepSummary {
    // MARK: - Cells and tables

    /// Accuracies (percent) of one dataset over its seeds.
    public struct Stat: Equatable {
        /// One accuracy per finished seed.
        public var values: [Double]
        /// How many seeds have a result.
        public var count: Int { values.count }
        /// The mean, or nil without values.
        public var mean: Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
        /// The population standard deviation (numpy.std, ddof 0), or nil without values.
        public var std: Double? {
            guard let m = mean else { return nil }
            return (values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count)).squareRoot()
        }
    }

    /// One dataset's line: for base2new `[Base, New]`, otherwise `[Accuracy]`.
    public struct Row {
        /// The dataset's label.
        public var dataset: String
        /// "source" for cross_dataset's training dataset, else "".
        public var role: String
        /// The accuracies of each column.
        public var stats: [Stat]
    }

    /// The rows of one setting.
    public struct Table {
        /// DATASET.NUM_SHOTS of the setting.
        public var shots: Int
        /// The config-axis values (`KEY=value,...`), empty without such axes.
        public var variant: String
        /// One row per dataset, in sweep-file order.
        public var rows: [Row]
    }

    /// Which columns the tables have.
    public let pipeline: SweepSpec.Pipeline
    /// The heading: sweep name, pipeline, trainer and config.
    public let title: String
    /// One table per setting, in order of first appearance.
    public let tables: [Table]

    /// Harmonic mean of two accuracies (0 when both are 0).
    public static func harmonic(_ b: Double, _ n: Double) -> Double { b + n > 0 ? 2 * b * n / (b + n) : 0 }

    /// The harmonic mean of two means, nil when either is missing.
    static func harmonic(_ b: Double?, _ n: Double?) -> Double? {
        guard let b, let n else { return nil }
        return harmonic(b, n)
    }

    // MARK: - Building

    /// Builds the tables from the accuracies of finished trials (trial index -> percent).
    public init(plan: SweepPlan, accuracies: [Int: Double]) {
        pipeline = plan.spec.pipeline
        let spec = plan.spec
        title = "\(spec.name): \(spec.pipeline.rawValue), \(spec.trainer.rawValue), \(spec.configName)"
        var order: [String] = [], tables: [String: Table] = [:]
        for t in plan.trials {
            let key = "\(t.shots)|\(t.variant)"
            if tables[key] == nil {
                order.append(key)
                tables[key] = Table(shots: t.shots, variant: t.variant, rows: [])
            }
            let columns = plan.spec.pipeline == .base2new ? 2 : 1
            let column = t.stage == .testNew ? 1 : 0
            let role = plan.spec.pipeline == .crossDataset && t.stage == .train ? "source" : ""
            var table = tables[key]!
            let rowIndex = table.rows.firstIndex { $0.dataset == t.dataset && $0.role == role } ?? {
                let stats = Array(repeating: Stat(values: []), count: columns)
                table.rows.append(Row(dataset: t.dataset, role: role, stats: stats))
                return table.rows.count - 1
            }()
            if let a = accuracies[t.index] { table.rows[rowIndex].stats[column].values.append(a) }
            tables[key] = table
        }
        self.tables = order.map { tables[$0]! }
    }

    /// The average row of a table: means over the datasets (cross_dataset: over the targets)
    /// that have every column; nil entries where no dataset qualifies.
    public func average(_ table: Table) -> (values: [Double?], datasets: Int) {
        let rows = table.rows.filter { $0.role != "source" && $0.stats.allSatisfy { $0.count > 0 } }
        guard !rows.isEmpty else { return (Array(repeating: nil, count: table.rows.first?.stats.count ?? 1), 0) }
        let columns = rows[0].stats.count
        let values = (0..<columns).map { c in rows.map { $0.stats[c].mean! }.reduce(0, +) / Double(rows.count) }
        return (values, rows.count)
    }

    // MARK: - Markdown

    /// The tables as Markdown.
    public func markdown() -> String {
        var out = "# Sweep \(title)\n"
        for table in tables {
            out += "\n## \(table.shots) shots\(table.variant.isEmpty ? "" : ", " + table.variant)\n\n"
            let avg = average(table)
            if pipeline == .base2new {
                out += "| Dataset | Base | New | H | Seeds |\n|:--|--:|--:|--:|--:|\n"
                for r in table.rows {
                    let b = r.stats[0], n = r.stats[1]
                    let h = Self.harmonic(b.mean, n.mean)
                    let seeds = b.count == n.count ? "\(b.count)" : "\(b.count)/\(n.count)"
                    out += "| \(r.dataset) | \(Self.cell(b)) | \(Self.cell(n)) | \(Self.number(h)) | \(seeds) |\n"
                }
                let h = Self.harmonic(avg.values[0], avg.values[1])
                out += "| **Average** | \(Self.number(avg.values[0])) | \(Self.number(avg.values[1])) "
                    + "| \(Self.number(h)) | \(avg.datasets) dataset(s) |\n"
            } else {
                out += "| Dataset | Accuracy | Seeds |\n|:--|--:|--:|\n"
                for r in table.rows {
                    let name = r.role.isEmpty ? r.dataset : "\(r.dataset) (\(r.role))"
                    out += "| \(name) | \(Self.cell(r.stats[0])) | \(r.stats[0].count) |\n"
                }
                let over = pipeline == .crossDataset ? "target(s)" : "dataset(s)"
                out += "| **Average** | \(Self.number(avg.values[0])) | \(avg.datasets) \(over) |\n"
            }
        }
        out += "\nAccuracy in %: mean ± standard deviation over seeds "
            + "(population std, as numpy.std in CoOp's parse_test_res.py)"
        out += pipeline == .base2new
            ? "; H = 2·B·N/(B+N) of the mean Base and New; the average is over datasets with both.\n" : ".\n"
        return out
    }

    static func number(_ v: Double?) -> String { v.map { String(format: "%.2f", $0) } ?? "–" }

    static func cell(_ s: Stat) -> String {
        guard let m = s.mean, let d = s.std else { return "–" }
        return String(format: "%.2f ± %.2f", m, d)
    }

    // MARK: - CSV

    /// The tables as CSV, one line per dataset and setting plus an `average` line each.
    public func csv() -> String {
        func f(_ v: Double?) -> String { v.map { String(format: "%.4f", $0) } ?? "" }
        func q(_ s: String) -> String {
            s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        var out: String
        if pipeline == .base2new {
            out = "shots,variant,dataset,base_mean,base_std,base_n,new_mean,new_std,new_n,h\n"
            for t in tables {
                for r in t.rows {
                    let b = r.stats[0], n = r.stats[1]
                    let h = Self.harmonic(b.mean, n.mean)
                    out += "\(t.shots),\(q(t.variant)),\(q(r.dataset)),\(f(b.mean)),\(f(b.std)),\(b.count),"
                        + "\(f(n.mean)),\(f(n.std)),\(n.count),\(f(h))\n"
                }
                let a = average(t)
                let h = Self.harmonic(a.values[0], a.values[1])
                out += "\(t.shots),\(q(t.variant)),average,\(f(a.values[0])),,\(a.datasets),"
                    + "\(f(a.values[1])),,\(a.datasets),\(f(h))\n"
            }
        } else {
            out = "shots,variant,dataset,role,accuracy_mean,accuracy_std,n\n"
            for t in tables {
                for r in t.rows {
                    let s = r.stats[0]
                    out += "\(t.shots),\(q(t.variant)),\(q(r.dataset)),\(r.role),\(f(s.mean)),\(f(s.std)),\(s.count)\n"
                }
                let a = average(t)
                out += "\(t.shots),\(q(t.variant)),average,,\(f(a.values[0])),,\(a.datasets)\n"
            }
        }
        return out
    }
}
