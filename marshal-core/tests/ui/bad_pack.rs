use marshal_core::marshal::Marshal;

#[derive(Marshal)]
#[marshal(pack = 3)]
struct S {
    a: i32,
}

fn main() {}
