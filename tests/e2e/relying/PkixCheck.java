// A relying party written on Java's own PKIX stack (nothing of Troth's): for
// each line "LEAF.pem CHAIN.pem" on stdin it validates LEAF up to the trust
// anchors in args[0], with CRLs fetched from each certificate's CRL
// distribution point (com.sun.security.enableCRLDP=true), for every
// certificate of the chain, no OCSP and no fallback, and prints one line:
// "OK" or "FAIL <reason>". One process may check many lines: the JDK then
// caches each CRL and revalidates it with If-Modified-Since, as a
// long-running relying party does. "WARM LEAF CHAIN URL" validates without
// revocation and reads URL: the JVM is then warm but holds no CRL.
import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.InputStreamReader;
import java.security.cert.*;
import java.util.*;

public class PkixCheck {
    static List<X509Certificate> load(CertificateFactory cf, String path) throws Exception {
        List<X509Certificate> out = new ArrayList<>();
        try (FileInputStream in = new FileInputStream(path)) {
            for (Certificate c : cf.generateCertificates(in))
                out.add((X509Certificate) c);
        }
        return out;
    }

    public static void main(String[] args) throws Exception {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        Set<TrustAnchor> anchors = new HashSet<>();
        for (X509Certificate c : load(cf, args[0]))
            anchors.add(new TrustAnchor(c, null));
        CertPathValidator v = CertPathValidator.getInstance("PKIX");
        BufferedReader r = new BufferedReader(new InputStreamReader(System.in));
        String line;
        while ((line = r.readLine()) != null) {
            String[] f = line.trim().split(" ");
            boolean warm = f[0].equals("WARM"); /* "WARM LEAF CHAIN URL": load the */
            if (warm) {                         /* classes, no CRL fetched or cached */
                try (java.io.InputStream in = new java.net.URL(f[3]).openStream()) {
                    in.readAllBytes();
                }
                f = new String[] {f[1], f[2]};
            }
            try {
                List<X509Certificate> path = new ArrayList<>(load(cf, f[0]));
                if (f.length > 1)
                    for (X509Certificate c : load(cf, f[1]))
                        if (!path.contains(c) /* chain_pem starts with the leaf */
                            && !anchors.stream().anyMatch(a -> a.getTrustedCert().equals(c)))
                            path.add(c);
                PKIXParameters p = new PKIXParameters(anchors);
                PKIXRevocationChecker rc = (PKIXRevocationChecker) v.getRevocationChecker();
                rc.setOptions(EnumSet.of(PKIXRevocationChecker.Option.PREFER_CRLS,
                                         PKIXRevocationChecker.Option.NO_FALLBACK));
                if (warm)
                    p.setRevocationEnabled(false);
                else
                    p.addCertPathChecker(rc);
                v.validate(cf.generateCertPath(path), p);
                System.out.println("OK");
            } catch (CertPathValidatorException e) {
                System.out.println("FAIL " + e.getReason() + " " + e.getMessage());
            } catch (Exception e) {
                System.out.println("FAIL error " + e);
            }
            System.out.flush();
        }
    }
}
