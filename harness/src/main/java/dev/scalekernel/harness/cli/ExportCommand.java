package dev.scalekernel.harness.cli;

import dev.scalekernel.harness.store.ResultsStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a run's results table (one row per point and recorded step) as Parquet or CSV.")
final class ExportCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "a run directory")
    Path directory;

    @Option(names = "--format", required = true, description = "parquet or csv")
    String format;

    @Option(names = "--to", required = true, paramLabel = "FILE", description = "the file to write")
    Path to;

    @Override
    public void run() {
        String options = switch (format.toLowerCase(java.util.Locale.ROOT)) {
            case "parquet" -> "FORMAT PARQUET";
            case "csv" -> "FORMAT CSV, HEADER";
            default -> throw new IllegalArgumentException("--format '" + format + "' is not supported; expected parquet or csv");
        };
        Path parent = to.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new IllegalArgumentException("--to '" + to + "': directory " + parent + " does not exist");
        }
        try (Connection c = ResultsStore.openReadOnly(directory); Statement s = c.createStatement()) {
            String file = to.toAbsolutePath().toString().replace("'", "''");
            s.execute("COPY (SELECT * FROM results ORDER BY point_id, step NULLS FIRST) TO '" + file + "' (" + options + ")");
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM results")) {
                rs.next();
                spec.commandLine().getOut().println("exported " + rs.getLong(1) + " rows to " + to);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("exporting " + directory + ": " + e.getMessage(), e);
        }
    }
}
