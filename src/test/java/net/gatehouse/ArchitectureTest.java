package net.gatehouse;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.Test;

/**
 * The package layering, checked on every build: dependencies point down the message path, so that
 * a package can be read, tested and changed knowing only what lies below it.
 *
 * <pre>
 *   doors         net.gatehouse (Gateway), cli, web, demo
 *   admin         every change an administrator makes, audited
 *   smtp.server   the SMTP sessions
 *   policy        the RCPT decision            queue   the spool and delivery
 *   callout, dns  the sources a decision asks  route   protected domains and their back-ends
 *   directory     valid recipients             smtp.client, cluster (the link to Redis)
 *   store, users  persistence
 *   config, log, metrics, tls, smtp.protocol   the foundation every layer may use
 * </pre>
 *
 * A new package must be placed in a layer here before it builds. The rules are checked from plain
 * JUnit tests, so that each shows up, passes and fails like any other test.
 */
class ArchitectureTest {

    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("net.gatehouse");

    private static final ArchRule layers = layeredArchitecture().consideringOnlyDependenciesInLayers()
            .ensureAllClassesAreContainedInArchitecture()
            .layer("doors").definedBy("net.gatehouse", "net.gatehouse.cli..", "net.gatehouse.web..",
                    "net.gatehouse.demo..")
            .layer("admin").definedBy("net.gatehouse.admin..")
            .layer("smtp.server").definedBy("net.gatehouse.smtp.server..")
            .layer("policy").definedBy("net.gatehouse.policy..")
            .layer("queue").definedBy("net.gatehouse.queue..")
            .layer("callout").definedBy("net.gatehouse.callout..")
            .layer("dns").definedBy("net.gatehouse.dns..")
            .layer("route").definedBy("net.gatehouse.route..")
            .layer("directory").definedBy("net.gatehouse.directory..")
            .layer("smtp.client").definedBy("net.gatehouse.smtp.client..")
            .layer("cluster").definedBy("net.gatehouse.cluster..")
            .layer("store").definedBy("net.gatehouse.store..", "net.gatehouse.users..")
            .layer("foundation").definedBy("net.gatehouse.config..", "net.gatehouse.log..",
                    "net.gatehouse.metrics..", "net.gatehouse.tls..", "net.gatehouse.smtp.protocol..")

            .whereLayer("doors").mayNotBeAccessedByAnyLayer()
            .whereLayer("admin").mayOnlyBeAccessedByLayers("doors")
            .whereLayer("smtp.server").mayOnlyBeAccessedByLayers("doors")
            .whereLayer("policy").mayOnlyBeAccessedByLayers("doors", "admin", "smtp.server")
            .whereLayer("queue").mayOnlyBeAccessedByLayers("doors", "admin", "smtp.server")
            .whereLayer("callout").mayOnlyBeAccessedByLayers("doors", "admin", "policy")
            .whereLayer("dns").mayOnlyBeAccessedByLayers("doors", "admin", "policy", "queue", "callout")
            .whereLayer("route").mayOnlyBeAccessedByLayers("doors", "admin", "policy", "queue", "callout")
            .whereLayer("directory").mayOnlyBeAccessedByLayers("doors", "admin", "policy", "route")
            .whereLayer("smtp.client").mayOnlyBeAccessedByLayers("doors", "policy", "queue", "callout")
            .whereLayer("cluster").mayOnlyBeAccessedByLayers("doors", "admin", "policy", "callout")
            .whereLayer("store").mayOnlyBeAccessedByLayers("doors", "admin", "policy", "directory")
            .because("dependencies point down the message path (issue 12); the mail path reaches the "
                    + "message log through log.MessageSink, not the store");

    private static final ArchRule noCycles = slices().matching("net.gatehouse.(**)").should().beFreeOfCycles();

    private static final ArchRule foundationStandsAlone = noClasses()
            .that().resideInAnyPackage("net.gatehouse.config..", "net.gatehouse.log..", "net.gatehouse.metrics..",
                    "net.gatehouse.tls..", "net.gatehouse.smtp.protocol..")
            .should().dependOnClassesThat().resideInAnyPackage("net.gatehouse.admin..", "net.gatehouse.smtp.server..",
                    "net.gatehouse.policy..", "net.gatehouse.queue..", "net.gatehouse.callout..", "net.gatehouse.dns..",
                    "net.gatehouse.route..", "net.gatehouse.directory..", "net.gatehouse.smtp.client..",
                    "net.gatehouse.store..", "net.gatehouse.users..", "net.gatehouse.cluster..")
            .because("the foundation is used by every layer and so may use none of them");

    private static final ArchRule consoleWithoutGateway = noClasses().that().resideInAPackage("net.gatehouse.web..")
            .should().dependOnClassesThat().resideInAnyPackage("net.gatehouse", "net.gatehouse.cli..")
            .because("the console gets the services it uses (web.ConsoleParts), not the whole gateway");

    private static final ArchRule commandsWithoutConsole = noClasses().that().resideInAPackage("net.gatehouse.cli..")
            .should().dependOnClassesThat().resideInAPackage("net.gatehouse.web..")
            .because("the CLI and the console are two doors to the same admin layer");

    @Test
    void dependenciesPointDownTheMessagePath() {
        layers.check(MAIN);
    }

    @Test
    void noPackageCycles() {
        noCycles.check(MAIN);
    }

    @Test
    void theFoundationStandsAlone() {
        foundationStandsAlone.check(MAIN);
    }

    @Test
    void theConsoleSeesServicesNotTheGateway() {
        consoleWithoutGateway.check(MAIN);
    }

    @Test
    void theCommandsDoNotUseTheConsole() {
        commandsWithoutConsole.check(MAIN);
    }
}
