package dev.scalekernel.harness.cli;

import dev.scalekernel.api.BackendUnavailableException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * The {@code scalekernel} command. Exit codes: 0 success, 2 a user error (bad option, unknown
 * preset or backend, invalid setting: one line on stderr), 3 some points of a sweep failed,
 * 1 an internal error (with its stack trace).
 */
@Command(name = "scalekernel", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Simulate the solvable models behind neural scaling laws.",
        subcommands = {RunCommand.class, PresetsCommand.class, BackendsCommand.class, ReportCommand.class, ExportCommand.class,
            CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    public static final int OK = 0;
    public static final int INTERNAL_ERROR = 1;
    public static final int USER_ERROR = 2;
    /** The sweep finished but some points threw (they are recorded and retried by the next run). */
    public static final int POINTS_FAILED = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the CLI with the given streams and returns the exit code (for tests and embedding). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof IllegalArgumentException || e instanceof BackendUnavailableException
                    || e instanceof java.io.UncheckedIOException) {
                commandLine.getErr().println("error: " + e.getMessage());
                return USER_ERROR;
            }
            commandLine.getErr().println("internal error: " + e);
            e.printStackTrace(commandLine.getErr());
            return INTERNAL_ERROR;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The version from the jar manifest, or "development" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"scalekernel " + (v == null ? "development" : v) + " on Java " + Runtime.version()};
        }
    }
}
