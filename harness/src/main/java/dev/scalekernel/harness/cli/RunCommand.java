package dev.scalekernel.harness.cli;

import dev.scalekernel.api.Backend;
import dev.scalekernel.api.BackendOptions;
import dev.scalekernel.api.Backends;
import dev.scalekernel.api.DType;
import dev.scalekernel.harness.experiment.SmokeExperiment;
import dev.scalekernel.harness.experiment.SmokeSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Command(name = "run", mixinStandardHelpOptions = true, description = "Run a preset experiment and print its results.")
final class RunCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "PRESET", description = "the experiment (see: scalekernel presets)")
    String preset;

    @Option(names = "--backend", defaultValue = "auto", description = "auto, cpu, gpu or reference (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--threads", defaultValue = "0", description = "worker threads; 0 = all processors (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--dtype", defaultValue = "f32", description = "f32 or f64 (default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override a preset setting, e.g. --set N=64,256 --set steps=100")
    List<String> settings = List.of();

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        Preset p = Preset.parse(preset);
        DType type = DType.parse(dtype);
        SmokeSpec smoke = switch (p) {
            case SMOKE -> SmokeSpec.defaults().with(parseSettings(settings));
        };
        if (threads < 0) {
            throw new IllegalArgumentException("--threads = " + threads + " is invalid; use 0 (all processors) or more");
        }
        Backends.Choice choice = Backends.choose(backend);
        out.println("backend: " + choice.reason());
        try (Backend b = choice.provider().open(BackendOptions.defaults().withThreads(threads))) {
            out.println("running " + p.id() + " on " + b.info().description() + ", " + type + ": " + smoke);
            long start = System.nanoTime();
            List<SmokeExperiment.Row> rows = SmokeExperiment.run(b, smoke, type, spec.commandLine().getErr());
            out.print(SmokeExperiment.table(rows));
            out.printf("%d points in %.2f s%n", rows.size(), (System.nanoTime() - start) / 1e9);
        }
    }

    static Map<String, String> parseSettings(List<String> settings) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String s : settings) {
            int eq = s.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--set '" + s + "' is not KEY=VALUE");
            }
            map.put(s.substring(0, eq).trim(), s.substring(eq + 1));
        }
        return map;
    }
}
