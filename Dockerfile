# cachepipe sidecar image: the distribution archive the dist module builds (bin/, config/, lib/:
# the sidecar alone, no demo or benchmarks) on a JRE. Its entry point is the archive's own
# bin/cachepipe, which DistributionIT runs in CI.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -q -pl dist -am -Dmaven.test.skip=true package \
 && mkdir /dist && tar xzf dist/target/cachepipe-*.tar.gz -C /dist --strip-components=1

FROM eclipse-temurin:17-jre
COPY --from=build /dist /opt/cachepipe
ENTRYPOINT ["/opt/cachepipe/bin/cachepipe"]
CMD ["run", "--config", "/opt/cachepipe/config/cachepipe.properties"]
