import Foundation
import Sweeps
import Testing

@Suite("The sweep's results table")
struct SweepSummaryTests {
    @Test("base2new: mean and population std over seeds, H of the means, the average over complete datasets")
    func base2new() throws {
        let plan = try SweepPlan(spec: sweepSpec("""
            name: grid
            pipeline: base2new
            \(base())
            axes: {datasets: [dtd, eurosat], seeds: [1, 2]}
            """))
        // Trials in order: dtd (seed 1: base, new; seed 2: base, new), then eurosat; eurosat's
        // seed 2 has no New result.
        let accuracies: [Int: Double] = [0: 70, 1: 60, 2: 80, 3: 64, 4: 90, 5: 50, 6: 92]
        let summary = SweepSummary(plan: plan, accuracies: accuracies)
        let rows = try #require(summary.tables.first?.rows)
        #expect(summary.tables.count == 1 && rows.map(\.dataset) == ["dtd", "eurosat"])
        #expect(rows[0].stats[0].mean == 75 && rows[0].stats[0].std == 5)
        #expect(rows[0].stats[1].mean == 62 && rows[0].stats[1].std == 2)
        #expect(rows[1].stats[0].count == 2 && rows[1].stats[1].count == 1)
        let average = summary.average(summary.tables[0])
        #expect(average.datasets == 2 && average.values == [(75 + 91) / 2, (62 + 50) / 2])

        let md = summary.markdown()
        #expect(md.hasPrefix("# Sweep grid: base2new, CoCoOp, vit_b16_c4_ep10_batch1_ctxv1\n"), "\(md)")
        let h = SweepSummary.harmonic(75, 62)
        #expect(md.contains(String(format: "| dtd | 75.00 ± 5.00 | 62.00 ± 2.00 | %.2f | 2 |", h)), "\(md)")
        #expect(md.contains("| eurosat | 91.00 ± 1.00 | 50.00 ± 0.00 |") && md.contains("| 2/1 |"), "\(md)")
        let csv = summary.csv().split(separator: "\n").map(String.init)
        #expect(csv.first == "shots,variant,dataset,base_mean,base_std,base_n,new_mean,new_std,new_n,h")
        #expect(csv.contains(String(format: "-1,,dtd,75.0000,5.0000,2,62.0000,2.0000,2,%.4f", h)), "\(csv)")
        #expect(csv.last?.hasPrefix("-1,,average,83.0000,,2,56.0000,,2,") == true, "\(csv)")
    }

    @Test("harmonic mean of 0 and 0 is 0")
    func harmonicOfZeros() {
        #expect(SweepSummary.harmonic(0, 0) == 0)
        #expect(SweepSummary.harmonic(50, 100) == 2 * 50 * 100 / 150.0)
    }
}
