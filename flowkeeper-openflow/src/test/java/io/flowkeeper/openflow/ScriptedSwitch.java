package io.flowkeeper.openflow;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.projectfloodlight.openflow.protocol.OFCapabilities;
import org.projectfloodlight.openflow.protocol.OFFactories;
import org.projectfloodlight.openflow.protocol.OFFactory;
import org.projectfloodlight.openflow.protocol.OFMessage;
import org.projectfloodlight.openflow.protocol.OFType;
import org.projectfloodlight.openflow.protocol.OFVersion;
import org.projectfloodlight.openflow.types.DatapathId;
import org.projectfloodlight.openflow.types.OFAuxId;
import org.projectfloodlight.openflow.types.U32;

/**
 * A switch played by the test, one message at a time, for what real OVS cannot be made to do on cue: hold a
 * ROLE_REPLY back, fall silent, never finish the handshake, speak an old version. Everything real OVS can show
 * is tested against real OVS ({@code SouthboundTest}); this covers timing and state edges only.
 */
final class ScriptedSwitch implements AutoCloseable {
    final OFFactory factory;
    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    ScriptedSwitch(String host, int port, OFVersion version) throws IOException {
        this(host, port, version, null);
    }

    /** Connecting from {@code localAddress} (e.g. 127.0.0.3: another machine, as the server sees it). */
    ScriptedSwitch(String host, int port, OFVersion version, String localAddress) throws IOException {
        this.factory = OFFactories.getFactory(version);
        this.socket = localAddress == null ? new Socket(host, port)
                : new Socket(java.net.InetAddress.getByName(host), port, java.net.InetAddress.getByName(localAddress), 0);
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** HELLO with a version bitmap offering exactly {@code versions} (wire numbers). */
    void helloWithBitmap(int... versions) throws IOException {
        long bitmap = 0;
        for (int v : versions) {
            bitmap |= 1L << v;
        }
        send(factory.buildHello().setXid(1).setElements(List.of(factory.buildHelloElemVersionbitmap()
                .setBitmaps(List.of(U32.of(bitmap))).build())).build());
    }

    /** Plays the whole connection handshake as OVS would: HELLO, FEATURES_REPLY, an empty PORT_DESC reply. */
    void handshake(long dpid) throws IOException {
        helloWithBitmap(factory.getVersion().getWireVersion());
        expect(OFType.HELLO);
        OFMessage features = expect(OFType.FEATURES_REQUEST);
        send(factory.buildFeaturesReply().setXid(features.getXid()).setDatapathId(DatapathId.of(dpid))
                .setNBuffers(0).setNTables((short) 254).setAuxiliaryId(OFAuxId.MAIN)
                .setCapabilities(EnumSet.noneOf(OFCapabilities.class)).build());
        OFMessage portDesc = expect(OFType.STATS_REQUEST);
        send(factory.buildPortDescStatsReply().setXid(portDesc.getXid()).setFlags(Set.of()).setEntries(List.of())
                .build());
    }

    void send(OFMessage m) throws IOException {
        ByteBuf buf = Unpooled.buffer();
        m.writeTo(buf);
        byte[] bytes = new byte[buf.readableBytes()];
        buf.readBytes(bytes);
        sendRaw(bytes);
    }

    void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** The next message, or null when nothing arrived within {@code timeout}. Throws EOFException once closed. */
    OFMessage next(Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
        byte[] header = new byte[8];
        try {
            in.readFully(header, 0, 1);
        } catch (SocketTimeoutException e) {
            return null;
        }
        socket.setSoTimeout(10_000); // the rest of a frame follows at once
        in.readFully(header, 1, 7);
        int length = ((header[2] & 0xff) << 8) | (header[3] & 0xff);
        byte[] frame = new byte[length];
        System.arraycopy(header, 0, frame, 0, 8);
        in.readFully(frame, 8, length - 8);
        try {
            return OFFactories.getGenericReader().readFrom(Unpooled.wrappedBuffer(frame));
        } catch (Exception e) {
            throw new IOException("controller sent a frame Loxi cannot read", e);
        }
    }

    /** The next message, which must be of {@code type}. */
    OFMessage expect(OFType type) throws IOException {
        OFMessage m = next(Duration.ofSeconds(10));
        if (m == null || m.getType() != type) {
            throw new AssertionError("expected " + type + ", got " + (m == null ? "nothing within 10 s" : m));
        }
        return m;
    }

    /** The next message of {@code type}, answering the controller's echo requests on the way (a live switch). */
    OFMessage expectAnsweringEchoes(OFType type) throws IOException {
        while (true) {
            OFMessage m = expect(m0 -> true);
            if (m.getType() == OFType.ECHO_REQUEST && type != OFType.ECHO_REQUEST) {
                send(factory.buildEchoReply().setXid(m.getXid()).setData(new byte[0]).build());
            } else if (m.getType() == type) {
                return m;
            } else {
                throw new AssertionError("expected " + type + ", got " + m);
            }
        }
    }

    /** The first message other than an echo request within {@code window} (echoes answered), or null. */
    OFMessage nextAnsweringEchoes(Duration window) throws IOException {
        long deadline = System.nanoTime() + window.toNanos();
        while (System.nanoTime() < deadline) {
            OFMessage m = next(Duration.ofMillis(Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
            if (m == null) {
                return null;
            }
            if (m.getType() != OFType.ECHO_REQUEST) {
                return m;
            }
            send(factory.buildEchoReply().setXid(m.getXid()).setData(new byte[0]).build());
        }
        return null;
    }

    private OFMessage expect(java.util.function.Predicate<OFMessage> any) throws IOException {
        OFMessage m = next(Duration.ofSeconds(10));
        if (m == null) {
            throw new AssertionError("nothing from the controller within 10 s");
        }
        return m;
    }

    /** Whether the controller closed the connection within {@code timeout} (messages meanwhile are read and dropped). */
    boolean closedWithin(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                next(Duration.ofMillis(Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
            } catch (EOFException | java.net.SocketException e) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
